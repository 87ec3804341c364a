"""Packaging for allennlp-robust-xlt.

Exact versions for development and CI live in one constraints file per stack (``constraints.txt``
for the default torch 2.1.2 stack, ``constraints-pinned.txt`` for AllenNLP's own torch 1.12.1;
``scripts/install.sh`` says how they are installed). ``install_requires`` carries the bounds a
user needs when installing the package alone: AllenNLP 2.10.1 is the last release and works with
transformers<4.21, spacy<3.4 and numpy<2 (numpy 2 breaks torch 1.12 and spacy's thinc). torch
admits both tested stacks: AllenNLP declares torch<1.13, but the whole suite passes on torch 2.1.2,
the first release whose PyPI wheels run on A100 and H100 GPUs; torch>=2.2 needs
typing_extensions>=4.8, which spacy 3.3 (the newest AllenNLP allows) refuses. ``pip install`` of
the package alone therefore resolves AllenNLP's torch 1.12 (its own pin wins); the default stack
is installed from its constraints file without AllenNLP's torch pins.
"""

from setuptools import find_packages, setup

VERSION = {}
with open("allennlp_robust_xlt/version.py") as version_file:
    exec(version_file.read(), VERSION)

setup(
    name="allennlp-robust-xlt",
    version=VERSION["VERSION"],
    description=(
        "Robust zero-shot cross-lingual transfer (adversarial training, randomized "
        "smoothing) as an AllenNLP plugin"
    ),
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    packages=find_packages(exclude=["tests", "tests.*", "benchmarks", "benchmarks.*"]),
    package_data={"allennlp_robust_xlt": ["py.typed", "tasks.libsonnet"]},
    python_requires=">=3.8,<3.11",
    install_requires=[
        "allennlp==2.10.1",
        "allennlp-models==2.10.1",
        "torch>=1.10.0,<2.2",
        "transformers>=4.1,<4.21",
        "tokenizers<0.13",
        "spacy>=2.1.0,<3.4",
        "numpy<2",
        "protobuf<4.0.0",
        "jsonnet>=0.10.0",
        "matplotlib>=3.3",
        "safetensors>=0.4,<0.6",
    ],
    extras_require={"dev": ["pytest>=7,<9", "flaky>=3.7,<4", "black==24.10.0", "flake8==7.1.1"]},
    classifiers=[
        "Programming Language :: Python :: 3.10",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
