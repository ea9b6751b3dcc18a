# Shared by test_release.sh and test_darwin.sh (sourced; $root is the source tree).
name=terraform-provider-foundry
version=$("$root/scripts/release.sh" --version)
fail() { echo "FAIL: $*"; echo "0 passed, 1 failed"; exit 1; }

# unpack_exe ZIP DIR LABEL: unpack a release zip into DIR, check it held the executable alone and that it is
# executable, and set $exe to its path.
unpack_exe() {
  mkdir -p "$2"
  unzip -q "$1" -d "$2"
  [ "$(ls "$2")" = "${name}_v${version}" ] || fail "$3 zip holds more than the executable: $(ls "$2")"
  exe="$2/${name}_v${version}"
  [ -x "$exe" ] || fail "$3 executable is not executable"
}
