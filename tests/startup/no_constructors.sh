#!/bin/sh
# `fluxloop auth token` runs before C++ constructors (client/main.cpp): the code it runs must need none.
# Fails when an object of the client or the protocol, other than the CLI11 files the command never
# reaches, has a dynamic initialiser (an .init_array section): a global with a constructor, or an
# #include <iostream>.
#   no_constructors.sh READELF OBJECT...
set -eu
readelf=$1
shift
# The files that include CLI11 (whose header defines validator objects and includes <iostream>).
allowed="cli.cpp.o cli_commands.cpp.o completion.cpp.o"
status=0
checked=0
for object in "$@"; do
  checked=$((checked + 1))
  "$readelf" -SW "$object" | grep -q '\.init_array' || continue
  name=$(basename "$object")
  case " $allowed " in
    *" $name "*) ;;
    *) echo "FAIL: $object has a dynamic initialiser; the fast path of \`fluxloop auth token\` runs before it would (client/main.cpp). Make the global constexpr or a function-local static." >&2
       status=1 ;;
  esac
done
[ "$checked" -gt 10 ] || { echo "FAIL: only $checked objects given" >&2; exit 1; }
echo "$checked objects checked"
exit $status
