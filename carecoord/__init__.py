"""CareCoord: care coordination for intrathecal baclofen (ITB) pump therapy teams."""

__version__ = "0.1.0"
