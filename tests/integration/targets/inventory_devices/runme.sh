#!/usr/bin/env bash
# netraven.core.devices as users run it: ansible-inventory and ansible-playbook on *.netraven.yml
# configs (enabled through Ansible's default "auto" inventory plugin).
set -eux

export ANSIBLE_INVENTORY_UNPARSED_FAILED=1
out="${OUTPUT_DIR:-$(mktemp -d)}"

ansible-playbook -i csv.netraven.yml verify_csv.yml "$@" 2>"$out/csv.err"
grep -q "tag id 2 has no name" "$out/csv.err"
grep -q "bulk_device_import_sample.csv line 2 (core-sw-01)" "$out/csv.err"

ansible-inventory -i csv.netraven.yml --graph >"$out/graph.txt"
grep -q "@tag_core:" "$out/graph.txt"
grep -q "|--core-sw-01" "$out/graph.txt"
grep -q "@platform_cisco_ios:" "$out/graph.txt"

ansible-playbook -i json.netraven.yml verify_json.yml "$@" 2>"$out/json.err"
if grep -q "WARNING" "$out/json.err"; then cat "$out/json.err"; exit 1; fi

# Bad input in any source fails the run, naming the file, the line, the host and the field.
if ansible-inventory -i bad.netraven.yml --list >/dev/null 2>"$out/bad.err"; then
  echo "bad.netraven.yml was accepted"; exit 1
fi
grep -q "files/bad.csv line 3 (sw2): missing device_type" "$out/bad.err"
grep -q "files/bad.yml line 1 (sw1): port 70000 is outside 1-65535" "$out/bad.err"
