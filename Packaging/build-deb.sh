#!/bin/sh
# Builds casetrack_<version>_<arch>.deb from release binaries.
#
#   Packaging/build-deb.sh BIN_DIR OUT_DIR [GENERATE_MANUAL]
#
# BIN_DIR holds casetrackd and casetrackctl built with
# `swift build -c release --static-swift-stdlib`; GENERATE_MANUAL is
# swift-argument-parser's generate-manual tool, which writes casetrackctl(1)
# from the binary itself (without it the build fails: the page is required).
# Run from the repository root; prints the .deb's path last.
set -eu

bin_dir=$1
mkdir -p "$2"
out_dir=$(cd "$2" && pwd)
generate_manual=${3:-}

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
version=$(sed -n 's/.*static let version = "\(.*\)".*/\1/p' "$top/Sources/CaseTrackDaemon/Tracker.swift")
arch=$(dpkg --print-architecture)
[ -n "$version" ] || { echo "build-deb: no version in Tracker.swift" >&2; exit 1; }
: "${SOURCE_DATE_EPOCH:=$(git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s)}"
export SOURCE_DATE_EPOCH

mkdir -p "$out_dir"
work=$(mktemp -d "$out_dir/.stage.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
doc=$root/usr/share/doc/casetrack

install -d -m 0755 "$root/DEBIAN" "$root/usr/sbin" "$root/usr/bin" \
    "$root/lib/systemd/system" "$root/usr/lib/sysusers.d" "$root/usr/lib/systemd/catalog" \
    "$root/etc/casetrack/pipelines" "$root/usr/share/man/man1" "$root/usr/share/man/man5" \
    "$root/usr/share/man/man8" "$root/usr/share/bash-completion/completions" \
    "$root/usr/share/zsh/vendor-completions" "$doc"

# Binaries, stripped (their symbols would triple the package).
install -m 0755 "$bin_dir/casetrackd" "$root/usr/sbin/casetrackd"
install -m 0755 "$bin_dir/casetrackctl" "$root/usr/bin/casetrackctl"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/sbin/casetrackd" "$root/usr/bin/casetrackctl"

# Units (bookworm's systemd and lintian expect them under /lib), users, catalog.
install -m 0644 "$here/systemd/casetrackd.service" "$here/systemd/casetrackd.socket" "$root/lib/systemd/system/"
install -m 0644 "$here/sysusers.d/casetrack.conf" "$root/usr/lib/sysusers.d/casetrack.conf"
install -m 0644 "$here/casetrack.catalog" "$root/usr/lib/systemd/catalog/casetrack.catalog"

# Configuration: every file under /etc is a conffile.
install -m 0644 "$top/Config/casetrackd.yaml" "$root/etc/casetrack/casetrackd.yaml"
for pipeline in "$top"/Config/pipelines/*.yaml; do
    install -m 0644 "$pipeline" "$root/etc/casetrack/pipelines/"
done
(cd "$root" && find etc -type f | sort | sed 's|^|/|') >"$root/DEBIAN/conffiles"

# Manual pages: the daemon's and the file format's by hand, the CLI's from
# its own argument parser so it never falls behind the commands.
for page in casetrackd.8 casetrackd.yaml.5; do
    section=${page##*.}
    sed "s/@VERSION@/$version/" "$here/man/$page" >"$root/usr/share/man/man$section/$page"
done
[ -n "$generate_manual" ] || { echo "build-deb: generate-manual tool not given" >&2; exit 1; }
mkdir -p "$work/man"
"$generate_manual" "$root/usr/bin/casetrackctl" --output-directory "$work/man" \
    --date "$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)" --section 1 \
    --authors "casetrack maintainers<casetrack@example.org>" >/dev/null
# mdoc wants a paragraph macro where the generator leaves a blank line.
sed 's/^$/.Pp/' "$work/man/casetrackctl.1" >"$root/usr/share/man/man1/casetrackctl.1"
find "$root/usr/share/man" -type f -exec gzip -9n {} +

# Shell completions, from the CLI itself.
# A completion file is sourced, not run: no #! line.
"$root/usr/bin/casetrackctl" --generate-completion-script bash | sed '1{/^#!/d}' >"$root/usr/share/bash-completion/completions/casetrackctl"
"$root/usr/bin/casetrackctl" --generate-completion-script zsh >"$root/usr/share/zsh/vendor-completions/_casetrackctl"
chmod 0644 "$root/usr/share/bash-completion/completions/casetrackctl" "$root/usr/share/zsh/vendor-completions/_casetrackctl"

# Documentation.
install -m 0644 "$here/debian/copyright" "$doc/copyright"
# Yams compiles its own copy of libyaml (SwiftPM cannot link the system's);
# lintian is told so instead of failing on it.
install -d -m 0755 "$root/usr/share/lintian/overrides"
install -m 0644 "$here/debian/lintian-overrides" "$root/usr/share/lintian/overrides/casetrack"
sed "s/@VERSION@/$version/" "$here/debian/changelog.in" | gzip -9n >"$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"

# Maintainer scripts.
install -m 0755 "$here/debian/postinst" "$here/debian/prerm" "$here/debian/postrm" "$root/DEBIAN/"

# Depends: the shared libraries the binaries load, as dpkg-shlibdeps finds them.
mkdir -p "$work/src/debian"
printf 'Source: casetrack\n\nPackage: casetrack\nArchitecture: any\n' >"$work/src/debian/control"
depends=$(cd "$work/src" && dpkg-shlibdeps -O -e"$root/usr/sbin/casetrackd" -e"$root/usr/bin/casetrackctl" 2>/dev/null |
    sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

installed_size=$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$installed_size/" \
    -e "s/@DEPENDS@/$depends/" "$here/debian/control.in" >"$root/DEBIAN/control"

(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 0755 {} +
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

deb=$out_dir/casetrack_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
