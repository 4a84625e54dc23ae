"""The Debian packages ``make test`` needs: installed when missing if it may, named if it may not.

    python3 tests/system_packages.py          # run by `make test` before anything else

Each package serves a part of the suite and is not needed when that part is
skipped on purpose (the variables of tests/skips.py). As root with apt-get,
missing packages are installed (``apt-get update`` once first); otherwise the
script stops at once with the packages to install and the variables that skip
their tests. When nothing is missing it only looks at a few files. Standard
library only: it runs before the virtual environment exists.
"""
import glob
import os
import shutil
import subprocess
import sys
import time

# package: (the variables that must all be set for it not to be needed, how to tell it is installed)
PACKAGES = {
    "postgresql": (("SKIP_POSTGRES",), lambda: bool(glob.glob("/usr/lib/postgresql/*/bin/initdb"))),
    "chromium": (("SKIP_BROWSER",), lambda: os.access("/usr/bin/chromium", os.X_OK)),
    # node reads calendars with ical.js; npm installs ical.js and, for the browser tests, axe-core.
    "nodejs": (("SKIP_BROWSER", "PRIYOM_SKIP_ICALJS"), lambda: shutil.which("node") is not None),
    "npm": (("SKIP_BROWSER", "PRIYOM_SKIP_ICALJS"), lambda: shutil.which("npm") is not None),
    "redis-server": (("SKIP_REDIS",), lambda: _executable("redis-server")),
    "kannel": (("SKIP_KANNEL",), lambda: _executable("bearerbox") and _executable("smsbox")),
    "kannel-extras": (("SKIP_KANNEL",), lambda: os.access("/usr/lib/kannel/test/fakesmsc", os.X_OK)),
}


def _executable(name):
    """On $PATH or in Debian's sbin/bin folders (a user's $PATH often lacks /usr/sbin)."""
    return shutil.which(name) is not None or any(
        os.access(os.path.join(folder, name), os.X_OK) for folder in ("/usr/sbin", "/usr/bin"))


def missing(environ=None, packages=None):
    """The packages that are needed and not installed, in a stable order."""
    environ = os.environ if environ is None else environ
    packages = PACKAGES if packages is None else packages
    return [name for name, (variables, installed) in packages.items()
            if not all(environ.get(v) == "1" for v in variables) and not installed()]


def refusal(names, why):
    """What to tell someone who must install the packages themselves."""
    skips = sorted({v for name in names for v in PACKAGES.get(name, ((),))[0]})
    return (f"make test needs these Debian packages, which are missing: {' '.join(names)}\n"
            f"It cannot install them itself ({why}). Install them with:\n"
            f"    sudo apt-get install {' '.join(names)}\n"
            f"or skip the tests that need them on purpose with: {' '.join(v + '=1' for v in skips)}")


def install(names, run=subprocess.run):
    """apt-get update once, then install ``names`` without recommended extras."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update", "-qq"], check=True, env=env)
    run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *names], check=True, env=env,
        stdout=subprocess.DEVNULL)


def main(environ=None, is_root=None, has_apt=None, run=subprocess.run, out=sys.stderr):
    names = missing(environ)
    if not names:
        return 0
    is_root = os.geteuid() == 0 if is_root is None else is_root
    has_apt = shutil.which("apt-get") is not None if has_apt is None else has_apt
    if not is_root or not has_apt:
        print(refusal(names, "not running as root" if not is_root else "no apt-get on this machine"), file=out)
        return 1
    print(f"make test: installing the Debian packages the tests need: {' '.join(names)}", file=out, flush=True)
    started = time.monotonic()
    try:
        install(names, run=run)
    except subprocess.CalledProcessError as exc:
        print(f"make test: apt-get failed ({exc}); install by hand: apt-get install {' '.join(names)}", file=out)
        return 1
    print(f"make test: installed in {time.monotonic() - started:.0f} s", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
