# outdir-planted-links: symbolic links planted in OUTDIR where gembatch's own
# files and folders go (results.jsonl, errors.jsonl, journal.jsonl, the lock,
# run.json, images/, images/<id>/, .spool/, an image file, Batch Mode's batch/
# and the files in it; to a victim file or folder, or dangling) are never
# followed: the run refuses the link naming it
# (exit 2 before anything is sent; exit 3 when an image folder is met mid-run),
# no victim changes, and nothing is created outside OUTDIR. Also: a planted
# image file link is replaced, not written through; --restart removes links,
# never their targets; merge does not follow a link inside a shard, and a copy
# is never more open than its source (issue 14 points 2 and 3).
. "$(dirname "$0")/lib.sh"
start_emulator emu --seed 5
P=$T/gen.json
cat >"$P" <<'J'
{"name": "gen", "model": "gemini-2.5-flash-image", "prompt": "A {{what}}",
 "response_modalities": ["IMAGE"], "limits": {"concurrency": 2, "max_attempts": 2}}
J
printf '%s\n' '{"id": "cat", "vars": {"what": "cat"}}' >"$T/in1.jsonl"
printf '%s\n' '{"id": "cat", "vars": {"what": "cat"}}' '{"id": "dog", "vars": {"what": "dog"}}' \
    >"$T/in.jsonl"
# an archive input: its entries are spooled in OUTDIR/.spool
mkmedia "$T/media" 1
(cd "$T/media" && tar cf "$T/in.tar" img0.png)
cat >"$T/describe.json" <<'J'
{"name": "describe", "model": "gemini-2.5-flash", "prompt": "Describe it."}
J
V=$T/victims
mkdir -p "$V/dir"
printf 'precious file\n' >"$V/file"
chmod 600 "$V/file"
printf 'inside a folder\n' >"$V/dir/keep"
chmod 755 "$V/dir"
snapshot() { (cd "$T" && find victims -printf '%p %s %m %T@\n' | sort && sha256sum victims/file victims/dir/keep); }
snapshot >"$T/before"

# case_link NAME KIND WANT_RC [PIPELINE INPUT]: a first run fills OUTDIR (so
# the second one resumes it, as a planted folder would be met), NAME is
# replaced by a link to the victim file, the victim folder or a dangling
# path, and the second run must refuse it by name, change no victim and make
# nothing outside OUTDIR. $FLAGS go to both runs; with FRESH=1 there is no
# first run (the link is planted in a new OUTDIR).
FLAGS='' FRESH=''
case_link() {
    name=$1 kind=$2 want=$3 pipe=${4:-$P} in=${5:-$T/in.jsonl}
    o=$T/o-$(echo "$name" | tr '/.' '__')-$kind${FRESH:+-fresh}
    [ -n "$FRESH" ] || expect_rc 0 "$GEMBATCH" run "$pipe" "$T/in1.jsonl" -o "$o" \
        --endpoint "$emu_URL" --progress none -q $FLAGS
    rm -rf "${o:?}/$name"
    mkdir -p "$o/$(dirname "$name")"
    case $kind in
        file) target=$V/file ;;
        dir) target=$V/dir ;;
        dangling) target=$V/made-$(echo "$name" | tr '/.' '__') ;;
    esac
    ln -s "$target" "$o/$name"
    rc=0
    "$GEMBATCH" run "$pipe" "$in" -o "$o" --endpoint "$emu_URL" --progress none -q $FLAGS \
        2>"$o.err" || rc=$?
    [ "$rc" = "$want" ] || { cat "$o.err" >&2; fail "$name -> $kind: exit $rc, expected $want"; }
    grep -q "$name' is a symbolic link" "$o.err" ||
        { cat "$o.err" >&2; fail "$name -> $kind: the message does not name the link"; }
    [ "$kind" != dangling ] || [ ! -e "$target" ] || fail "$name: the dangling target was created"
    snapshot >"$T/after"
    cmp -s "$T/before" "$T/after" || { diff "$T/before" "$T/after" >&2; fail "$name -> $kind: a victim changed"; }
    [ -L "$o/$name" ] || fail "$name: the link itself was removed or replaced"
}

for f in results.jsonl errors.jsonl journal.jsonl .gembatch.lock run.json; do
    case_link "$f" file 2
done
for f in results.jsonl journal.jsonl .gembatch.lock; do
    case_link "$f" dangling 2
done
case_link images dir 2
case_link images dangling 2
# archive entries are spooled in .spool: a link there is refused (it used to
# get the entries and a chmod 0700 of its target)
case_link .spool dir 2 "$T/describe.json" "$T/in.tar"
# Batch Mode's folder, in a new OUTDIR and in one a batch run filled, and the
# files in it (the state file, the online list, a part, its meta lines, its
# results): refused before anything is sent. batch/ was followed: the state
# file, the parts and the online list went into the victim folder, exit 0.
FLAGS="--mode batch --wait --poll-interval 0.1"
FRESH=1
case_link batch dir 2
case_link batch dangling 2
FRESH=''
case_link batch dir 2
for f in state.jsonl online.jsonl part-0001.jsonl part-0001.meta.jsonl part-0001.out.jsonl; do
    case_link "batch/$f" file 2
done
case_link batch/state.jsonl dangling 2
# (the first runs made each of those files: the links took their places)
[ -f "$T/o-batch_state_jsonl-file/batch/part-0001.out.jsonl" ] || fail "no part was downloaded"
FLAGS=''
# an image folder is only met mid-run: the run stops (exit 3), nothing lands
# in the victim folder, and no result line names an image that is not there
case_link images/dog dir 3
case_link images/dog dangling 3
o=$T/o-images_dog-dir
python3 - "$o" <<'PY'
import json, os, sys
o = sys.argv[1]
for line in open(os.path.join(o, "results.jsonl")):
    r = json.loads(line)
    for f in r.get("files", []):
        p = os.path.join(o, f)
        assert os.path.isfile(p) and not os.path.islink(os.path.dirname(p)), f
PY

# a planted image *file* link is replaced by the image, the victim untouched
o=$T/o-imgfile
mkdir -p "$o/images/cat"
ln -s "$V/file" "$o/images/cat/0.png"
expect_rc 0 "$GEMBATCH" run "$P" "$T/in.jsonl" -o "$o" --endpoint "$emu_URL" --progress none -q
[ -f "$o/images/cat/0.png" ] && [ ! -L "$o/images/cat/0.png" ] || fail "the image file link was not replaced"
snapshot >"$T/after"
cmp -s "$T/before" "$T/after" || fail "an image went through a planted file link"

# --restart removes a link in its way, never the target
o=$T/o-restart
mkdir -p "$o"
ln -s "$V/dir" "$o/images"
ln -s "$V/file" "$o/results.jsonl"
expect_rc 0 "$GEMBATCH" run "$P" "$T/in.jsonl" -o "$o" --endpoint "$emu_URL" --progress none -q --restart
[ ! -L "$o/images" ] && [ ! -L "$o/results.jsonl" ] || fail "--restart left the links"
snapshot >"$T/after"
cmp -s "$T/before" "$T/after" || fail "--restart changed a victim"

# the umask decides the modes of everything a run writes
o=$T/o-umask
(umask 027 && "$GEMBATCH" run "$P" "$T/in.jsonl" -o "$o" --endpoint "$emu_URL" --progress none -q)
for f in results.jsonl journal.jsonl run.json images/cat/0.png; do
    m=$(stat -c %a "$o/$f")
    [ "$m" = 640 ] || fail "$f is $m under umask 027, expected 640"
done

# merge: a shard whose images/<id> is a link to a folder holding a 0600
# secret: the link is not followed (the secret is not linked or copied), and
# copied images are never more open than their sources
mkdir -p "$T/secretdir"
printf 'secret\n' >"$T/secretdir/0.png"
chmod 600 "$T/secretdir/0.png"
for k in 1 2; do
    expect_rc 0 "$GEMBATCH" run "$P" "$T/in.jsonl" -o "$T/s$k" --endpoint "$emu_URL" \
        --progress none -q --shard "$k/2"
done
shard_of_cat=$( [ -d "$T/s1/images/cat" ] && echo s1 || echo s2 )
rm -rf "$T/$shard_of_cat/images/cat"
ln -s "$T/secretdir" "$T/$shard_of_cat/images/cat"
other=$( [ "$shard_of_cat" = s1 ] && echo s2 || echo s1 )
chmod 600 "$T/$other"/images/*/0.png
rc=0
"$GEMBATCH" merge "$T/s1" "$T/s2" -o "$T/m" --copy 2>"$T/merge.err" || rc=$?
[ "$rc" = 1 ] || { cat "$T/merge.err" >&2; fail "merge exited $rc, expected 1 (images left out)"; }
grep -q "symbolic link" "$T/merge.err" || { cat "$T/merge.err" >&2; fail "merge did not warn about the link"; }
[ ! -e "$T/m/images/cat/0.png" ] || fail "merge brought the secret behind the link"
! grep -rqs secret "$T/m/images" || fail "the secret's bytes are in the merged folder"
for f in "$T"/m/images/*/0.png; do
    m=$(stat -c %a "$f")
    [ "$m" = 600 ] || fail "merged copy $f is $m, its source is 600"
done
note "every planted link refused or replaced; victims unchanged; merge followed none"
