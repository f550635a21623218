"""Which folders the distribution installs, and under what names (the rest is pyproject.toml).

The repository keeps short top-level folders (``scoring/``, ``datasets/`` ...); installed, each
becomes a subpackage of ``fivesigma`` (``fivesigma.scoring`` ...), so that it can sit in one
environment beside unrelated distributions that use the short names (Hugging Face ``datasets``,
``runner`` on the package index).
"""

from setuptools import find_packages, setup

FOLDERS = ("challenges", "scoring", "datasets", "baselines", "runner")


def installed_packages() -> tuple[list[str], dict[str, str]]:
    packages = ["fivesigma", *find_packages(include=["fivesigma.*"])]
    package_dir = {"fivesigma": "fivesigma"}
    for folder in FOLDERS:
        package_dir[f"fivesigma.{folder}"] = folder
        packages.append(f"fivesigma.{folder}")
        packages += [f"fivesigma.{p}" for p in find_packages(include=[f"{folder}.*"])]
    return packages, package_dir


packages, package_dir = installed_packages()
setup(packages=packages, package_dir=package_dir)
