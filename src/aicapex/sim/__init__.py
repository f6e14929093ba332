"""The numeric core, pure JAX: arrays and PRNG keys in, arrays out (no I/O, no pydantic).

- ``sim.model``   the economics: state, inputs and outputs, one function per block, ``step()``
- ``sim.engine``  execution: random numbers, priors, the scan, summaries, chunks and devices

The engine imports the model; the model imports nothing of the engine.
"""
