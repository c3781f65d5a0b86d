// fluxloop: the thin client CLI. Everything lives in client_core (client/cli.cpp builds the tree).
#include <cstdlib>

#include "client/cli.hpp"
#include "client/fast_path.hpp"

#if FLUXLOOP_STATIC_CLIENT
namespace {

// `fluxloop auth token`, the command scripts run on every request, runs from .preinit_array: after
// the C library has relocated the program and set up TLS, stdio, malloc and the environment, before
// any C++ constructor. The constructors are CLI11's validators and <iostream>'s locale (its header
// defines an initialiser in every file that includes it); this command uses neither, and starting
// them touched some 45 pages, on VMs where each page first touched costs ~5 us
// (docs/performance.md "auth token before constructors"). So the files that serve the command must
// not need one: only the CLI11 files may have dynamic initialisers (test "client: start-up ...").
// Static builds only: a dynamic loader runs .preinit_array before the C library initialises itself
// (getenv sees no environment there); sanitizer builds take the same path from run_cli.
void run_auth_token_before_constructors(int argc, char** argv, char** /*envp*/) {
  if (auto options = client::fast_auth_token(argc, argv)) std::_Exit(client::run_fast_auth_token(*options));
}

[[gnu::used, gnu::section(".preinit_array")]] void (*const kPreinit)(int, char**, char**) =
    &run_auth_token_before_constructors;

}  // namespace
#endif

int main(int argc, char** argv) { return client::run_cli(argc, argv); }
