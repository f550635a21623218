"""fivesigma: a challenge platform for machine learning in particle physics.

One distribution, installed under this name: the site (``fivesigma.challenges`` with the
Django project here) and the science packages that need no Django (``fivesigma.scoring``,
``fivesigma.datasets``, ``fivesigma.baselines``, ``fivesigma.runner``), whose sources are
the repository's top-level folders. Nothing is imported here, so ``pip install fivesigma``
without the ``server`` extra can import the science packages.
"""
