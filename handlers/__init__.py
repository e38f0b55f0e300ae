"""The coworking behaviour, one module or package per capability, each with its own Router.

The composition root (`coworkbot.routers()`) lists them for the engine.
"""
