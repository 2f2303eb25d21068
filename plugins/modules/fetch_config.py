#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module netraven.core.fetch_config: back up a device's configuration in one task."""
from __future__ import annotations

DOCUMENTATION = r"""
module: fetch_config
short_description: Back up a network device's configuration with credential fallback, in one task
version_added: 0.1.0
description:
  - Logs in with the first credential that works (the credential loop of M(netraven.core.cli_command)),
    runs the platform's configuration command (for example C(show running-config)), checks the
    answer, replaces secrets by C(<removed>), and writes it to O(dir_path) on the controller.
  - The answer is refused, and the previous backup left untouched, when it is a CLI error
    (C(command_rejected), for example C(% Invalid input) from a device still in user EXEC mode; see
    O(command_errors)) or looks truncated (C(partial_output) - empty, without the platform's end marker, or smaller
    than O(min_size_ratio) times the previous backup). The failure message starts with that word,
    or with the credential loop's outcome word when no credential worked.
  - The file is written atomically (a temporary file in the same folder, fsync, rename) and only
    when its content changed; C(changed) says so and C(--diff) shows the difference.
  - The result holds metadata only, never the configuration (unless O(return_content)), and sets
    the cacheable fact C(netraven_credential) (C(name), C(username), C(outcome), C(attempts),
    C(time)) on success. The role P(netraven.core.config_backup#role) also sets it for failed hosts.
  - A failed result is short (one line on the console); its message names each credential tried with its outcome.
  - Where it runs. With C(connection=local) the whole task runs in the controller's worker process
    (netmiko is imported once per playbook run, before the forks). Delegated to a jump host, the
    module reads the configuration there and returns it to the action plugin, which checks, redacts
    and saves it on the controller.
  - "Fleet mode: with O(hosts) (and C(run_once: true)) one task backs up all those inventory hosts in a
    pool of O(workers) threads, shows progress every O(progress_interval) seconds and returns each
    host's result under RV(hosts); it never fails because a device failed. A second task with
    O(fleet_result_var) then gives each host its own result (fact, changed, failure), so the play recap and
    C(--limit @retry) stay per host (the fleet task itself never reports C(changed)). The role P(netraven.core.config_backup#role) does both with
    C(config_backup_fleet=true)."
author: netraven.core contributors (@netraven)
attributes:
  check_mode:
    support: partial
    details: >-
      In check mode the task logs in (a credential probe, recorded in the metrics store) but sends no
      command and writes nothing.
  diff_mode:
    support: full
    details: Only for redacted backups (O(redact=true)); an unredacted configuration is never shown.
  platform:
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - netraven.core.credential_loop
options:
  dir_path:
    description:
      - Folder on the controller for the backup; created (mode C(0750)) when missing.
      - Required, except with O(fleet_result_var).
    type: path
  filename:
    description:
      - File name of the backup in O(dir_path). Default C(<inventory_hostname>.cfg).
      - Per-host tasks only; fleet mode always uses the default.
      - A name that holds a path separator or is C(..) (this one, or a device name from the source of truth in
        the default) fails the host as C(invalid_options); a backup is never written outside O(dir_path).
    type: str
  command:
    description:
      - The command that prints the configuration. Default the O(platform_commands) entry of the
        device's O(platform), else the built-in one (C(show running-config) for Cisco and Arista,
        C(show configuration | display set) for Juniper).
    type: str
  platform_commands:
    description:
      - Configuration command per netmiko device_type, over the built-in table.
    type: dict
    default: {}
  end_markers:
    description:
      - Per netmiko device_type, a Python regular expression (searched in the output) that a complete
        configuration matches, over the built-in table (for example C((?m)^end\s*\Z) for IOS). A platform
        without an entry (such as C(cisco_nxos)) is checked by size only.
    type: dict
    default: {}
  end_marker:
    description:
      - The end marker for this task, instead of the O(end_markers) entry; V('') checks by size only.
    type: str
  min_size_ratio:
    description:
      - An output smaller than this fraction of the previous backup is taken as truncated. V(0) disables the check.
    type: float
    default: 0.5
  redact:
    description:
      - Replace passwords, secrets, keys and SNMP communities by C(<removed>) before writing
        (the rules of the P(netraven.core.redact_config#filter) filter).
    type: bool
    default: true
  mode:
    description:
      - File mode of the backup, as an octal string.
    type: str
    default: "0640"
  return_content:
    description:
      - Also return the saved content in RV(content) (redacted unless O(redact=false)).
    type: bool
    default: false
  hosts:
    description:
      - Fleet mode - back up these inventory hosts (usually V(ansible_play_batch)) in one task; use with C(run_once).
      - Each host's options come from its own variables and the credentials lookup, as for a per-host task.
    type: list
    elements: str
  workers:
    description:
      - Fleet mode - the most devices backed up at once (threads, shared by all processes), 1 to 100.
    type: int
    default: 20
  processes:
    description:
      - Fleet mode - how many processes share the O(workers) threads. A process runs its threads' Python under
        one lock (the GIL), so one process uses about one CPU core; several use several. Each process is
        forked from the task's worker after every host's options are resolved, opens its own metrics store
        connection and sends each device's result back as it ends.
      - V(0) (automatic) - one process per 25 workers, at most one per CPU of the controller and one per
        50 devices (V(100) workers on a 4-core controller - 4 processes of 25 threads). V(1) keeps every
        thread in the task's own process.
      - More than O(workers) or than the devices with valid options are not used (each process needs a thread
        and a device); the O(workers) threads are shared among the processes and add up to O(workers).
    type: int
    default: 0
  progress_interval:
    description:
      - Fleet mode - seconds between two progress lines (devices done and failed, in flight, rate, time left).
    type: float
    default: 10
  batch_changes:
    description:
      - Fleet mode - the fleet task itself reports C(changed) when any device's backup changed, and under
        C(--diff) shows each changed device's diff. For plays in which the devices take no task of their own; with
        a O(fleet_result_var) task per host leave it V(false), so that each change is shown once, on its host.
      - The role P(netraven.core.config_backup#role) sets it with C(config_backup_fleet_failed_group).
    type: bool
    default: false
  fleet_result_var:
    description:
      - Fleet mode, second task - the name of the variable the fleet task registered; this host's part of
        it becomes this task's result. All other options are ignored.
      - A name, not the value (V(fleet), not a template of the variable). The action reads the host's part
        straight from the host's variables; templating the whole fleet result for every host would cost
        time in proportion to the number of hosts, per host.
    type: str
  fleet_requested:
    description:
      - Set by the role from C(config_backup_fleet); a per-host task then warns that the variable must be an extra var.
    type: bool
    default: false
notes:
  - The role P(netraven.core.config_backup#role) is the usual way to run this module; it adds the git commit
    and the fact for failed hosts.
seealso:
  - module: netraven.core.cli_command
"""

EXAMPLES = r"""
# Plays run it on the controller; netraven.core.devices hosts need no other option.
#   - hosts: all
#     connection: local
#     gather_facts: false
- name: Back up the running-config
  netraven.core.fetch_config:
    dir_path: /srv/backups
  register: backup

- name: Show what changed
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }}: {{ 'changed' if backup.changed else 'unchanged' }}, {{ backup.size }} bytes"

- name: Fleet mode - every device of the batch in one task, 50 at a time
  netraven.core.fetch_config:
    dir_path: /srv/backups
    hosts: "{{ ansible_play_batch }}"
    workers: 50
  run_once: true
  register: fleet

- name: Give each host its own result (recap, retry files, netraven_credential)
  netraven.core.fetch_config:
    fleet_result_var: fleet
"""

RETURN = r"""
outcome:
  description:
    - The credential loop's outcome word, or the word of the check that refused the answer.
    - C(invalid_options) when the host's options could not be resolved (its credentials lookup, its platform,
      its backup file name); nothing was sent to the device.
  returned: always
  type: str
  sample: success
credential:
  description: The credential that logged in (name, username, priority), or null. Never a secret.
  returned: when the loop ran
  type: dict
  sample: {name: cisco_admin, username: admin, priority: 10}
attempts:
  description:
    - How many credentials were tried. A failure's RV(msg) names each with its outcome; the metrics store's
      attempt log (P(netraven.core.credential_metrics#lookup)) keeps every attempt with its message and duration.
  returned: when the loop ran
  type: int
  sample: 2
msg:
  description: Why the backup failed, starting with the failure word (an outcome, C(command_rejected), C(partial_output)...).
  returned: on failure
  type: str
  sample: "auth_rejected: r2: no credential worked (attempts: tacacs=auth_rejected, local=auth_rejected)"
path:
  description: The backup file on the controller.
  returned: per-host tasks
  type: str
  sample: /srv/backups/core-sw-01.cfg
size:
  description: Bytes written (or kept, when unchanged).
  returned: when the backup was saved
  type: int
redacted:
  description: Whether secrets were replaced by C(<removed>).
  returned: when the backup was saved
  type: bool
content:
  description: The saved content.
  returned: with O(return_content=true)
  type: str
aaa_skipped:
  description: The shared AAA accounts the fleet-wide AAA guard skipped on this device (V(aaa_budget_exhausted)).
  returned: when the guard skipped one
  type: list
  elements: str
  sample: [netops@tacacs-prod]
aaa_skipped_credentials:
  description: The names of the credentials the AAA guard skipped on this device (with RV(aaa_skipped)).
  returned: when the guard skipped one
  type: list
  elements: str
  sample: [tacacs-2025]
ansible_facts:
  description: Facts set for the host.
  returned: when the loop ran
  type: dict
  contains:
    netraven_credential:
      description:
        - Which credential worked, never a secret - C(name), C(username), C(outcome), C(attempts) (logins tried; a
          credential the AAA guard skipped sent nothing and is not counted), C(time) (UTC).
        - C(aaa_skipped) (list of C(user@aaa-server)) and C(aaa_skipped_credentials) (credential names) when the AAA
          guard skipped shared accounts on this device.
      type: dict
hosts:
  description: Fleet mode - each host's result, by inventory hostname.
  returned: fleet mode
  type: dict
facts:
  description:
    - Fleet mode - each host's C(netraven_credential) fact, by inventory hostname, for the hosts that failed too
      (their outcome is the failure word; a host refused before any login has no credential and 0 attempts).
    - What the C(netraven.core.config_backup) role and the credential report read when only the failed hosts take
      a task of their own (O(hosts) with the role's C(config_backup_fleet_failed_group)).
  returned: fleet mode
  type: dict
  sample: {r1: {name: tacacs, username: netops, outcome: success, attempts: 1, time: "2026-12-01T02:00:07Z"}}
failed_hosts:
  description: Fleet mode - the hosts whose backup failed.
  returned: fleet mode
  type: list
  elements: str
elapsed_s:
  description: Fleet mode - wall time of the fleet task in seconds.
  returned: fleet mode
  type: float
devices_per_minute:
  description: Fleet mode - devices backed up per minute.
  returned: fleet mode
  type: float
processes:
  description: Fleet mode - how many processes backed the devices up (see O(processes)).
  returned: fleet mode
  type: int
  sample: 2
stdout:
  description: The module alone (on a jump host) returns the configuration to the action plugin, which removes it.
  returned: never from the action plugin
  type: list
  elements: str
"""

import logging

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.netraven.core.plugins.module_utils import _attempts
from ansible_collections.netraven.core.plugins.module_utils import _cli_command
from ansible_collections.netraven.core.plugins.module_utils import _fetch_config


def main() -> None:
    """Entry point on the host the task is delegated to: read the configuration and return it.

    The action plugin checks, redacts and saves it on the controller; on the controller itself
    the action plugin does the reading too, without this module.
    """
    module = AnsibleModule(argument_spec=_fetch_config.argument_spec(), supports_check_mode=True)
    if _attempts.IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("netmiko and paramiko"), exception=str(_attempts.IMPORT_ERROR))
    logging.getLogger("paramiko").addHandler(logging.NullHandler())  # no transport tracebacks on stderr
    params = dict(module.params, commands=[module.params["command"]] if module.params["command"] else [])
    problem = _cli_command.check_params(params) or (None if params["commands"] else "command is required")
    if problem:
        module.fail_json(msg=problem)
    result = _cli_command.run_recorded(params, check_mode=module.check_mode, warn=module.warn)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
