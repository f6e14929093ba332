"""Process-level services every layer may use, importing nothing of aicapex: where built
artefacts are cached (``cache``), and the record of signals that stop a run
(``interrupts``), the default split of the CPU into devices (``cores``)."""
