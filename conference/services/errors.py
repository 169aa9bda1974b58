"""Errors a service raises; each carries a Danish message fit to show the user."""


class ServiceError(Exception):
    """A request the service refuses; `str(error)` is the Danish message."""


class NotFound(ServiceError):
    pass


class InvalidInput(ServiceError):
    pass
