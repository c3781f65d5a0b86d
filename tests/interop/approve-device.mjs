// Plays the user of a device login (RFC 8628 §3.3) against provider.mjs, the way a browser would:
// open the verification URI with the user code, submit it, confirm, follow the redirects through the
// sign-in interaction (which provider.mjs approves) to the success page.
//
//   node approve-device.mjs --ca ca.pem --verification-uri URL --user-code CODE
//
// Exit 0 once the provider shows "Sign-in Success"; 1 with a reason on stderr otherwise. Prints
// nothing on stdout. The user code is not a secret once shown; no token passes through here.
import fs from 'node:fs';
import https from 'node:https';
import process from 'node:process';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    ca: { type: 'string' },
    'verification-uri': { type: 'string' },
    'user-code': { type: 'string' },
  },
});
if (!args.ca || !args['verification-uri'] || !args['user-code']) {
  process.stderr.write('usage: node approve-device.mjs --ca FILE --verification-uri URL --user-code CODE\n');
  process.exit(2);
}
const ca = fs.readFileSync(args.ca);
const kMaxSteps = 12;   // GET code page, POST code, POST confirm, interaction, resume: 5 are enough
const kTimeoutMs = 10000;

const jar = new Map();  // cookie name -> value; the provider scopes them by path, we just resend

function request(method, url, form) {
  const body = form ? new URLSearchParams(form).toString() : undefined;
  const headers = { host: url.host, accept: 'text/html' };
  if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  if (body) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    headers['content-length'] = Buffer.byteLength(body);
  }
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, ca, timeout: kTimeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

function remember(res) {
  for (const line of res.headers['set-cookie'] || []) {
    const [pair, ...attrs] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attrs.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || value === '';
    if (expired) jar.delete(name); else jar.set(name, value);
  }
}

// The first <form> of a page: its action and hidden inputs.
function firstForm(html, base) {
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return null;
  const inputs = {};
  for (const m of form[2].matchAll(/<input[^>]*type="hidden"[^>]*>/gi)) {
    const name = /name="([^"]*)"/.exec(m[0]);
    const value = /value="([^"]*)"/.exec(m[0]);
    if (name) inputs[name[1]] = value ? value[1].replace(/&#x2F;/g, '/').replace(/&amp;/g, '&') : '';
  }
  return { action: new URL(form[1].replace(/&amp;/g, '&'), base), inputs };
}

async function main() {
  const start = new URL(args['verification-uri']);
  start.searchParams.set('user_code', args['user-code']);
  let res = await request('GET', start);
  let url = start;
  for (let step = 0; step < kMaxSteps; ++step) {
    remember(res);
    if (res.status >= 300 && res.status < 400 && res.headers.location) {
      url = new URL(res.headers.location, url);
      res = await request('GET', url);
      continue;
    }
    if (res.status !== 200) throw new Error(`${url.pathname} answered ${res.status}: ${res.body.slice(0, 300)}`);
    if (/Sign-in Success/.test(res.body)) return;
    const refusal = /<p class="red">([^<]*)<\/p>/.exec(res.body);
    if (refusal) throw new Error(`${url.pathname}: ${refusal[1]}`);
    const form = firstForm(res.body, url);
    if (!form) throw new Error(`${url.pathname}: no form and no success page`);
    if (!form.inputs.user_code) form.inputs.user_code = args['user-code'];
    url = form.action;
    res = await request('POST', url, form.inputs);
  }
  throw new Error(`no success page after ${kMaxSteps} steps`);
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(`approve-device: ${err.message}\n`);
  process.exit(1);
});
