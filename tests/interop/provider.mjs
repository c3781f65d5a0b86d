// An independent OAuth 2.0 / OIDC server for fluxloop-agent's interop test: panva's oidc-provider
// (npm, installed with `npm ci`; never vendored), served over TLS on loopback with the test CA's
// certificate. Only configuration lives here; every protocol decision is oidc-provider's own.
//
//   node provider.mjs --cert server.pem --key server-key.pem --port-file FILE
//        [--client-id fluxloop-cli] [--access-token-ttl 3600] [--email user@example.com]
//
// Writes the chosen port to FILE (atomically: temp file + rename) once listening, prints
// "listening on https://127.0.0.1:PORT" on stdout, logs "METHOD PATH STATUS" per request on stderr
// (never a query string or body, so never a code or a token). SIGTERM/SIGINT: exit 0.
//
// The "user" of a device login is scripted by approve-device.mjs: it submits the user code on the
// verification page, confirms, and this server's /interaction/:uid route signs the user in and
// grants the requested scopes without showing anything (devInteractions is disabled).
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import process from 'node:process';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    cert: { type: 'string' },
    key: { type: 'string' },
    'port-file': { type: 'string' },
    port: { type: 'string', default: '0' },
    'client-id': { type: 'string', default: 'fluxloop-cli' },
    'access-token-ttl': { type: 'string', default: '3600' },
    email: { type: 'string', default: 'user@example.com' },
  },
});
if (!args.cert || !args.key || !args['port-file']) {
  process.stderr.write('usage: node provider.mjs --cert FILE --key FILE --port-file FILE [--port N]\n');
  process.exit(2);
}

const accessTokenTtl = Number.parseInt(args['access-token-ttl'], 10);
const accountId = 'interop-user';

const configuration = {
  clients: [{
    // A public native client, as the agent is: no secret, device flow and refresh only.
    client_id: args['client-id'],
    token_endpoint_auth_method: 'none',
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    redirect_uris: [],
    response_types: [],
    application_type: 'native',
  }],
  features: {
    devInteractions: { enabled: false },
    deviceFlow: { enabled: true },
    revocation: { enabled: true },
    // Lets the test ask "is this refresh token still alive?" without presenting it to the token
    // endpoint (presenting a rotated one would revoke the whole grant).
    introspection: { enabled: true },
  },
  scopes: ['openid', 'email', 'offline_access'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  // By default a refresh token is only issued with offline_access (and consent for it); the agent's
  // client is allowed to refresh whatever it asked for.
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  ttl: {
    AccessToken: accessTokenTtl,
    DeviceCode: 600,
    Grant: 86400,
    IdToken: 3600,
    Interaction: 600,
    RefreshToken: 86400,
    Session: 86400,
  },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, email: args.email, email_verified: true }),
  }),
  // Quiet the "you should change this" notices about defaults we rely on knowingly.
  renderError: async (ctx, out) => {
    ctx.type = 'json';
    ctx.body = out;
  },
};

let provider;  // created once the port, and so the issuer, is known

// The interaction route that devInteractions would have served: sign the user in and grant every
// requested scope and claim at once, with no page. Only reached after the user code was confirmed.
async function autoApprove(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params } = details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  if (params.scope) grant.addOIDCScope(params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, {
    login: { accountId },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

function log(req, res) {
  const path = (req.url || '').split('?')[0];
  process.stderr.write(`${req.method} ${path} ${res.statusCode}\n`);
}

let callback;
const server = https.createServer({
  cert: fs.readFileSync(args.cert),
  key: fs.readFileSync(args.key),
  minVersion: 'TLSv1.2',
}, (req, res) => {
  res.on('finish', () => log(req, res));
  if (req.method === 'GET' && /^\/interaction\/[^/?]+(\?|$)/.test(req.url)) {
    autoApprove(req, res).catch((err) => {
      res.statusCode = 500;
      res.setHeader('content-type', 'text/plain');
      res.end(`interaction failed: ${err.name}\n`);
    });
    return;
  }
  callback(req, res);
});

server.listen(Number.parseInt(args.port, 10), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `https://127.0.0.1:${port}`;
  // The issuer must name the port (it is compared with what the agent discovers); URLs inside
  // responses are built from each request's Host header.
  provider = new Provider(issuer, configuration);
  provider.proxy = false;
  callback = provider.callback();
  const portFile = args['port-file'];
  fs.writeFileSync(`${portFile}.tmp`, `${port}\n`);
  fs.renameSync(`${portFile}.tmp`, portFile);
  process.stdout.write(`listening on ${issuer}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
