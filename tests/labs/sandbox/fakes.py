"""Handing a fake daemon to the sandbox's code.

The sandbox's functions take a docker.DockerClient; a test's fake answers only the calls
the code under test makes (a missing one fails the test with an AttributeError). `as_client`
says so in one place instead of at every call: to the type checker the fake is the client."""

from typing import cast

import docker


def as_client(fake: object) -> docker.DockerClient:
    return cast(docker.DockerClient, fake)
