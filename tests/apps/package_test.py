#!/usr/bin/env python3
"""The Debian package (docs/deployment.md): runs `cpack -G DEB` in a build directory (cairn and
cairnd built there) into a temporary output directory and checks the .deb with dpkg-deb: its
files (binaries, explorer, the default config, the systemd unit, docs), the control fields
(name, version, architecture, dependencies found by dpkg-shlibdeps), the conffile and the
maintainer scripts, and the unit's hardening lines (and `systemd-analyze verify` when present).

Exits 77 (skipped) when cpack or dpkg-deb is absent.

Usage: package_test.py BUILD_DIR SOURCE_DIR
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

from cairnd_harness import check, failures, log

build_dir, source_dir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
TIMEOUT = 600

HARDENING = ["User=cairn", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
             "PrivateDevices=yes", "ReadWritePaths=/var/lib/cairn", "CapabilityBoundingSet=\n",
             "RestrictAddressFamilies=", "SystemCallFilter=@system-service", "MemoryDenyWriteExecute=yes",
             "LimitNOFILE=", "ExecStart=/usr/bin/cairnd --config /etc/cairn/cairnd.toml --datadir /var/lib/cairn"]


def run(*args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT, **kwargs)


def main():
    for tool in ("cpack", "dpkg-deb"):
        if shutil.which(tool) is None:
            print(f"package_test: {tool} not found; skipping")
            return 77
    with tempfile.TemporaryDirectory(prefix="cairn-package-") as out:
        log(f"cpack -G DEB in {build_dir}")
        done = run("cpack", "-G", "DEB", "-B", out, cwd=build_dir)
        if not check(done.returncode == 0, f"cpack: {done.stdout[-3000:]}{done.stderr[-3000:]}"):
            return report()
        debs = glob.glob(os.path.join(out, "*.deb"))
        if not check(len(debs) == 1, f"one .deb made: {debs}"):
            return report()
        deb = debs[0]
        log(f"made {os.path.basename(deb)} ({os.path.getsize(deb) // 1024} KiB)")

        listing = run("dpkg-deb", "-c", deb).stdout
        files = {}
        for line in listing.splitlines():
            parts = line.split()
            files[parts[5].lstrip(".")] = (parts[0], parts[1])
        for path in ["/usr/bin/cairnd", "/usr/bin/cairn", "/etc/cairn/cairnd.toml",
                     "/lib/systemd/system/cairnd.service", "/usr/share/doc/cairn/deployment.md"]:
            check(path in files, f"the package holds {path}")
        for binary in ["/usr/bin/cairnd", "/usr/bin/cairn"]:
            check(files.get(binary, ("",))[0] == "-rwxr-xr-x", f"{binary} is executable: {files.get(binary)}")
        if os.path.isdir(os.path.join(source_dir, "explorer")):
            check("/usr/share/cairn/explorer/index.html" in files, "the explorer's index.html is packaged")
        check(all(owner == "root/root" for _, owner in files.values()), "every file belongs to root")
        check(not any(p.startswith(("/home", "/tmp", "/work")) for p in files), "no build paths in the package")

        fields = {}
        for name in ["Package", "Version", "Architecture", "Depends", "Maintainer", "Description", "Section"]:
            fields[name] = run("dpkg-deb", "-f", deb, name).stdout.strip()
        log(f"control: {fields}")
        check(fields["Package"] == "cairn", f"Package: {fields['Package']}")
        check(fields["Version"].startswith("0."), f"Version: {fields['Version']}")
        arch = run("dpkg", "--print-architecture").stdout.strip() if shutil.which("dpkg") else fields["Architecture"]
        check(fields["Architecture"] == arch, f"Architecture: {fields['Architecture']} (host {arch})")
        depends = fields["Depends"]
        for dependency in ["adduser", "libc6", "libsodium", "librocksdb"]:
            check(dependency in depends, f"Depends names {dependency}: {depends}")
        check(fields["Maintainer"] != "" and fields["Description"] != "", "Maintainer and Description are set")

        with tempfile.TemporaryDirectory(prefix="cairn-control-") as control:
            check(run("dpkg-deb", "-e", deb, control).returncode == 0, "dpkg-deb -e extracts the control files")
            conffiles = open(os.path.join(control, "conffiles")).read().split() \
                if os.path.exists(os.path.join(control, "conffiles")) else []
            check(conffiles == ["/etc/cairn/cairnd.toml"], f"the config is the conffile: {conffiles}")
            for script in ["postinst", "prerm", "postrm"]:
                path = os.path.join(control, script)
                check(os.path.exists(path) and os.access(path, os.X_OK), f"{script} is packaged, executable")
            postinst = open(os.path.join(control, "postinst")).read() if os.path.exists(
                os.path.join(control, "postinst")) else ""
            check("adduser --system" in postinst and "/var/lib/cairn" in postinst,
                  "postinst creates the cairn user and /var/lib/cairn")

        with tempfile.TemporaryDirectory(prefix="cairn-contents-") as root:
            check(run("dpkg-deb", "-x", deb, root).returncode == 0, "dpkg-deb -x extracts the files")
            unit_path = os.path.join(root, "lib/systemd/system/cairnd.service")
            unit = open(unit_path).read() if os.path.exists(unit_path) else ""
            for line in HARDENING:
                check(line in unit, f"the unit has {line.strip()}")
            version = run(os.path.join(root, "usr/bin/cairnd"), "--version")
            check(version.returncode == 0 and "0." in version.stdout, f"the packaged cairnd runs: {version.stdout}")
            if shutil.which("systemd-analyze") and unit:
                # verify checks that ExecStart's binary exists: point it at the extracted one.
                local = os.path.join(root, "cairnd.service")
                with open(local, "w") as f:
                    f.write(unit.replace("/usr/bin/cairnd", os.path.join(root, "usr/bin/cairnd")))
                verify = run("systemd-analyze", "verify", local)
                problems = [line for line in verify.stderr.splitlines() if "cairnd.service" in line]
                check(verify.returncode == 0 and not problems, f"systemd-analyze verify: {verify.stderr}")
    return report()


def report():
    for f in failures:
        print("FAIL:", f)
    print(f"package_test: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
