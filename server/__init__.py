"""aiohttp origin / CDN edge: playlists, segments, integrity records, demo page, APIs."""
