#!/bin/bash
# capwatch.sh N: for the next N lab runs, capture the headers of hosts h7 (the mobile page b08) and h2 (the DSL page b03)
# on their eth0 as soon as their namespaces appear, into $PCAP_DIR (default .); needs tcpdump (apt-get install tcpdump)
seen=""
for i in $(seq 1 $1); do
  while :; do
    tag=$(ip netns list 2>/dev/null | grep -o '^swl[0-9a-z]*-h7' | head -1 | sed 's/-h7//')
    [ -n "$tag" ] && [ "$tag" != "$seen" ] && break
    sleep 0.5
  done
  seen=$tag; ts=$(date +%H%M%S)
  for h in h7 h2; do
    (ip netns exec $tag-$h timeout 420 tcpdump -i eth0 -s 128 -w ${PCAP_DIR:-.}/$ts-$tag-$h.pcap > /dev/null 2>&1 &)
  done
  echo "$ts $tag" >> ${PCAP_DIR:-.}/index.txt
  while ip netns list 2>/dev/null | grep -q "^$tag-h7"; do sleep 2; done
done
