"""A local AWS for the demo and the integration tests: moto's server on 127.0.0.1,
with small extensions where moto 5.2 falls short of what the guard relies on."""

from emulator.server import Emulator, free_port

__all__ = ["Emulator", "free_port"]
