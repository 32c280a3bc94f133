"""course_utils.notebook_client: a reply whose wake-up was lost is still read, within a slice.

The race itself (nbclient sending widget updates on the shell socket while a reply arrives) is rare
and timing-dependent; here it is made certain: the reply arrives while the event loop is blocked, and
its edge-triggered wake-up is consumed by reading ``zmq.EVENTS`` on the raw socket, which is what a
send on that socket does inside libzmq. Grading the real lesson 04 (tests/test_grade.py) is the
end-to-end check.
"""
from __future__ import annotations

import asyncio
import time
from queue import Empty

import nbformat
import pytest
import zmq
import zmq.asyncio
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.session import Session

from course_utils import notebook_client
from course_utils.notebook_client import NotebookClient, SlicedShellChannel

WAIT = 5.0  # seconds the test waits for a reply; several slices, far below the channel's own timeout


async def _reply_with_lost_wakeup(channel_class, timeout: float):
    """Send a reply to a channel that is polling, lose the wake-up, then wait up to WAIT seconds for
    get_msg. Returns the message type, or 'still waiting'."""
    session = Session(key=b"")
    server = zmq.Context.instance().socket(zmq.ROUTER)
    client = zmq.asyncio.Context.instance().socket(zmq.DEALER)
    try:
        client.connect(f"tcp://127.0.0.1:{server.bind_to_random_port('tcp://127.0.0.1')}")
        channel = channel_class(client, session)
        session.send(client, "kernel_info_request")
        ident = server.recv_multipart()[0]
        waiting = asyncio.ensure_future(channel.get_msg(timeout=timeout))
        await asyncio.sleep(0.2)                                # the poll now waits on the socket's fd
        session.send(server, "kernel_info_reply", ident=ident)
        time.sleep(0.3)                                         # the reply arrives, the loop is blocked
        zmq.Socket.shadow(client.underlying).get(zmq.EVENTS)    # and its wake-up is used up
        try:
            return (await asyncio.wait_for(waiting, WAIT))["msg_type"]
        except asyncio.TimeoutError:
            return "still waiting"
    finally:
        client.close(linger=0)
        server.close(linger=0)


def test_the_lost_wakeup_strands_a_plain_channel():
    """The stall the grader met: the reply sits in the socket and the plain channel does not see it."""
    assert asyncio.run(_reply_with_lost_wakeup(AsyncZMQSocketChannel, timeout=60)) == "still waiting"


@pytest.mark.parametrize("timeout", [60, None], ids=["with a timeout", "without"])
def test_the_sliced_channel_reads_the_stranded_reply(timeout):
    assert asyncio.run(_reply_with_lost_wakeup(SlicedShellChannel, timeout)) == "kernel_info_reply"


@pytest.mark.parametrize("timeout", [0, 0.3, 1.5])
def test_the_sliced_channel_keeps_the_callers_timeout(timeout):
    async def get():
        client = zmq.asyncio.Context.instance().socket(zmq.DEALER)
        client.connect("tcp://127.0.0.1:9")  # nobody there: no message will come
        try:
            start = time.monotonic()
            with pytest.raises(Empty):
                await asyncio.wait_for(SlicedShellChannel(client, Session(key=b"")).get_msg(timeout=timeout), WAIT)
            return time.monotonic() - start
        finally:
            client.close(linger=0)

    assert timeout <= asyncio.run(get()) < timeout + WAIT / 2


def test_the_course_client_reads_the_shell_channel_in_slices():
    km = NotebookClient(nbformat.v4.new_notebook(), kernel_name="python3").create_kernel_manager()
    assert km.client().shell_channel_class is SlicedShellChannel
    assert notebook_client.SLICE_SECONDS <= 1.0
