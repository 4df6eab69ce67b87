#!/bin/bash
exec ip netns exec bxA /usr/bin/chromium "$@"
