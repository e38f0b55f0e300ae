"""Code the tests share: fake servers, harness subclasses, set-ups and checks.

Test modules import from here, never from one another, so any test file can be run
(or deleted) on its own.
"""
