// fluxloop: the thin client CLI. Everything lives in client_core (client/cli.cpp builds the tree).
#include "client/cli.hpp"

int main(int argc, char** argv) { return client::run_cli(argc, argv); }
