#!/bin/sh
set -eu
chmod 000 input.jsonl
