"""What happens in a simulated cluster: event objects (build), bulk and storms
(generate), scenarios with real messages, hostile content. Written against the small
:class:`ktui.sim.events.protocol.Cluster` protocol, not against SimCluster."""
