"""Socket.IO signaling: swarms, neighbour matching, SDP/ICE relay between neighbours."""
