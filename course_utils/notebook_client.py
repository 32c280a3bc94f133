"""nbclient's NotebookClient with one repair: a cell's reply can no longer be waited for forever.

The grader, the slide builder and the lesson benchmark run notebooks through this class; use it like
``nbclient.NotebookClient``.

What it repairs: nbclient waits for each cell's ``execute_reply`` with one long poll of the shell
socket (pyzmq's asyncio sockets). A notebook with ipywidgets' ``Output`` widget makes nbclient act
as the widget's front end: while it waits, it sends the kernel ``comm_msg`` updates on that same
socket. Now and then the wake-up for the arriving reply is lost: the reply sits unread in the socket,
the kernel is idle, and the poll runs until its timeout (for ever, without one). Measured on
lesson 04 (two stepper widgets) with nbclient 0.11, jupyter_client 8.10 and pyzmq 27.3: the
grader stalled in 4 of 14 runs; in both stalls probed, a fresh poll read the waiting reply at once.
nbval, which does not play the widgets' front end, never stalled, and neither did the grader with
the front end switched off (0 of 30). The same report: jupyter/nbclient#312.

The repair: the shell channel polls in slices of ``SLICE_SECONDS``. Each new poll looks at the
socket before it waits, so a lost wake-up costs at most one slice; the caller's timeout still holds.
"""
from __future__ import annotations

import time
from queue import Empty

import nbclient
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.manager import KernelManager
from traitlets import Type

SLICE_SECONDS = 1.0


class SlicedShellChannel(AsyncZMQSocketChannel):
    """A shell channel whose ``get_msg`` waits in slices, looking at the socket afresh each time."""

    async def get_msg(self, timeout: float | None = None) -> dict:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return await super().get_msg(SLICE_SECONDS if left is None else min(SLICE_SECONDS, left))
            except Empty:
                if left is not None and left <= SLICE_SECONDS:
                    raise


class SlicedKernelClient(AsyncKernelClient):
    shell_channel_class = Type(SlicedShellChannel)


class NotebookClient(nbclient.NotebookClient):
    """``nbclient.NotebookClient`` whose kernel client reads the shell channel in slices."""

    def create_kernel_manager(self) -> KernelManager:
        km = super().create_kernel_manager()
        km.client_factory = SlicedKernelClient
        return km
