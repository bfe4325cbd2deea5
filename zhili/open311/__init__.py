"""Open311 GeoReport v2 adapter over the case closed loop: discovery, services, service definitions, filing,
tokens and public status of service requests, in XML and JSON exactly as the specification says."""
