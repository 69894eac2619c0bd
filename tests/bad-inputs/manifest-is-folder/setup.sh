#!/bin/sh
set -eu
mkdir folder
