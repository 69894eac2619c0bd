#!/bin/sh
set -eu
mkdir -p folder/sub
echo 'just text' >folder/notes.txt
: >folder/sub/empty.png
ln -s /etc/passwd folder/sub/passwd.png
