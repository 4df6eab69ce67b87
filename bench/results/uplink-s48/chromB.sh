#!/bin/bash
exec ip netns exec bxB /usr/bin/chromium "$@"
