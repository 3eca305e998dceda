#!/bin/bash
# The image's health check: exits 0 when the service's /q/health/ready answers 200. Uses only
# bash (its /dev/tcp), present in both the public and the local base images; curl and wget are not.
port=${QUARKUS_HTTP_PORT:?QUARKUS_HTTP_PORT is not set}
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET /q/health/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
IFS= read -r -t 5 status <&3 || exit 1
[[ $status == "HTTP/1."?" 200 "* ]]
