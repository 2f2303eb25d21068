# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lookup netraven.core.credentials: which credentials to try on a device, in which order."""
from __future__ import annotations

DOCUMENTATION = r"""
name: credentials
author: netraven.core contributors (@netraven)
version_added: "0.1.0"
short_description: Tag-matched credentials for a device, in priority or learned order
description:
  - Returns the credentials that may be tried on a device, first to last, following NetRaven's
    tag rule. A credential matches a device when it shares at least one tag with it; every device
    carries the default tag (O(default_tag)), so a credential tagged V(default) matches everywhere.
  - "The device's tags come from the first host variable of O(tags_vars) that is set on the host (defined and not
    null); the later ones are not read, and an empty list counts as set. The default V([netraven_tags]) reads the variable the
    P(netraven.core.devices#inventory) inventory plugin sets; V([netraven_tags, tags]) also takes the C(tags) host variable
    of C(netbox.netbox.nb_inventory) (or of a YAML/INI inventory) with no glue. A value is a list of tag names, or
    a list of mappings with C(slug) or C(name) (NetBox/Nautobot tag objects; C(slug) wins)."
  - With O(tags_from_groups=true) the host's group names (C(group_names), without V(ungrouped)) are added to those tags, so
    groups such as nb_inventory's C(sites_nyc) or C(device_roles_core) can be credential tags.
  - A host for which none of O(tags_vars) is set (and no group counts) has only the default tag; the lookup warns about
    such hosts once per run (set one of the variables on them, or set it to V([]) to accept that).
  - Credentials come from the variable named by O(credentials_var) (usually vault-encrypted
    group_vars) or, when O(credentials_file) is set, only from that YAML file.
  - Each credential is a mapping with C(name) (unique), C(username), C(password) and/or
    C(ssh_key_file), optional C(enable_secret), C(priority) (integer, default 100, lower is tried
    first), C(tags) (list of tag names, required; V([default]) means every device; a string is an error;
    V([]) matches no device and is warned about), an optional C(description) and an optional C(aaa) (the name
    of the central AAA server whose shared account this is; see the host variable C(netraven_aaa)).
    Any other key is an error, so a misspelt C(enable_secret) is not silently dropped.
  - A returned credential whose C(ssh_key_file) does not exist or cannot be read on the controller is warned
    about (credential name and path only) and still returned.
  - Vault-encrypted values are decrypted only for the credentials that are returned; secrets of
    credentials that do not match the device are never decrypted. Every returned string is marked
    unsafe, so a password such as C(p{{x}}) is never templated.
  - Bad input (duplicate names, missing C(username), neither C(password) nor C(ssh_key_file),
    a C(priority) that is not an integer, C(tags) that are not a list of strings, unknown host,
    a value that still looks vault-encrypted after decryption) fails with an error that names the
    credential or host and field, never a secret value.
extends_documentation_fragment:
  - netraven.core.metrics_store
  - netraven.core.default_tag
options:
  _terms:
    description:
      - Inventory host names (usually V(inventory_hostname)). Each one gives one list of credentials.
      - A list of names is expanded, so V(groups['routers']) works.
      - Leave empty when O(tags) is given.
    type: list
    elements: str
    required: false
  tags_vars:
    description:
      - Host variables that hold a device's tags, in order; the first one set on the host wins (see the description).
      - For example V([netraven_tags, tags]) for hosts of C(netbox.netbox.nb_inventory) next to hosts of
        P(netraven.core.devices#inventory).
    type: list
    elements: str
    default: [netraven_tags]
    env:
      - name: NETRAVEN_TAGS_VARS
    ini:
      - section: netraven
        key: tags_vars
    vars:
      - name: netraven_tags_vars
  tags_from_groups:
    description:
      - Add the host's inventory group names (C(group_names), without V(ungrouped)) to its tags.
    type: bool
    default: false
    env:
      - name: NETRAVEN_TAGS_FROM_GROUPS
    ini:
      - section: netraven
        key: tags_from_groups
    vars:
      - name: netraven_tags_from_groups
  output:
    description:
      - V(credentials) returns the matching credentials (see RV(_raw)).
      - V(tags) returns, per host, the tags the lookup matches credentials against (the O(tags_vars) and
        O(tags_from_groups) rule, plus the default tag) and loads no credential; the
        P(netraven.core.credential_report#role) role's coverage matrix reads them this way.
    type: str
    default: credentials
    choices: [credentials, tags]
  tags:
    description:
      - Match this explicit tag list instead of a host's tags (O(tags_vars)). The default tag is
        added, as for a device. Cannot be combined with host names. The order is always
        V(priority) order (there is no device whose last working credential could be looked up).
    type: list
    elements: str
  credentials_var:
    description:
      - Name of the variable holding the credential list, looked up in the calling task's variables.
      - The variable may be a list or a template that renders to one (for example
        V("{{ vault_netraven_credentials }}")); a template is rendered as a whole, which decrypts all of it.
    type: str
    default: netraven_credentials
  credentials_file:
    description:
      - A YAML file with the credentials; used instead of O(credentials_var) when set.
      - The file may be encrypted as a whole with ansible-vault, or hold C(!vault) values.
      - Its content is either a list of credentials, or a mapping with the key named by
        O(credentials_var) (V(netraven_credentials)) holding that list. The second shape lets the same
        file serve as a vars file; other keys are ignored.
      - A relative path is searched like the P(ansible.builtin.file#lookup) lookup does (the role's or
        playbook's C(files/) directory, then the playbook directory); C(~) is expanded. When it is not found,
        the error lists every path looked at; a YAML mistake in the file gives its line.
      - An AWX credential type can write this file with a file injector and set E(NETRAVEN_CREDENTIALS_FILE).
    type: str
    env:
      - name: NETRAVEN_CREDENTIALS_FILE
    vars:
      - name: netraven_credentials_file
  order:
    description:
      - V(priority) sorts by C(priority) ascending, then by name.
      - V(learned) puts the device's last working credential (read from the metrics store) first,
        when it matches the device, then the rest in priority order.
      - The default is V(learned) unless O(metrics_store=none), else V(priority); a device the store knows
        nothing about (or a store file not created yet) gets priority order.
      - When the store cannot be read the lookup warns and uses priority order; it never fails for that.
    type: str
    choices: [priority, learned]
  missing:
    description:
      - What to do when no credential matches a host (or O(tags)).
      - V(empty) returns an empty list; V(error) fails naming the host and its tags.
    type: str
    default: empty
    choices: [empty, error]
notes:
  - With one host, V(lookup) returns that host's list of credentials. With several hosts, V(lookup)
    returns one list per host. V(query) (or V(wantlist=true)) always returns one list per host, so
    V(query('netraven.core.credentials', inventory_hostname\)[0]) is the host's list.
  - Tags compare exactly (case-sensitive).
  - Secrets in plain-text variables are templated by Ansible before this lookup sees them; to keep
    C({{) in a plain-text password use C(!unsafe), or vault-encrypt it (vault values are never templated).
seealso:
  - plugin: netraven.core.devices
    plugin_type: inventory
"""

EXAMPLES = r"""
# group_vars/all/credentials.yml (encrypt the secrets with `ansible-vault encrypt_string`)
# netraven_credentials:
#   - name: cisco_admin
#     username: admin
#     password: !vault |
#       $ANSIBLE_VAULT;1.1;AES256
#       ...
#     enable_secret: !vault |
#       ...
#     priority: 10
#     tags: [cisco]
#   - name: backup_admin
#     username: backup
#     ssh_key_file: ~/.ssh/netraven_backup
#     priority: 30
#     tags: [default]

# What comes back (cred = one credential mapping):
#   lookup('netraven.core.credentials', 'r1')              -> [cred, cred]                  r1's list
#   query('netraven.core.credentials', 'r1')               -> [[cred, cred]]                one list per host
#   lookup('netraven.core.credentials', 'r1', wantlist=true) -> [[cred, cred]]              same as query
#   lookup('netraven.core.credentials', 'r1', 'r2')        -> [[r1's creds], [r2's creds]]
#   query('netraven.core.credentials', groups['routers'])  -> one list per router, in group order
#     (use query for groups: with lookup, a group of one host gives that host's list, not a list of lists)
#   lookup('netraven.core.credentials', tags=['cisco'])    -> [cred, ...]                   tags cisco or default

- name: Back up the running-config with the first credential that works
  netraven.core.cli_command:
    commands: [show running-config]
    credentials: "{{ lookup('netraven.core.credentials', inventory_hostname) }}"
  no_log: true          # the task arguments hold passwords

- name: Show which credentials would be tried, by name only (no secret in the output)
  ansible.builtin.debug:
    msg: "{{ lookup('netraven.core.credentials', inventory_hostname) | map(attribute='name') | list }}"

- name: Loop over a host's credentials; label by name and hide the item
  ansible.builtin.debug:
    msg: "would try {{ item.name }} (tags {{ item.matched_tags | join(',') }})"
  loop: "{{ query('netraven.core.credentials', inventory_hostname)[0] }}"
  loop_control:
    label: "{{ item.name }}"
  no_log: true

- name: Several hosts in one call - query returns one list per host, in the order given
  ansible.builtin.set_fact:
    per_host: "{{ dict(groups['routers'] | zip(query('netraven.core.credentials', groups['routers']))) }}"
  no_log: true

- name: Credentials for an explicit tag list instead of a host (priority order)
  ansible.builtin.set_fact:
    juniper_creds: "{{ lookup('netraven.core.credentials', tags=['juniper']) }}"
  no_log: true

- name: From an (optionally ansible-vault encrypted) file, failing when nothing matches
  ansible.builtin.set_fact:
    creds: "{{ lookup('netraven.core.credentials', inventory_hostname, credentials_file='files/credentials.yml', missing='error') }}"
  no_log: true

- name: Hosts of netbox.netbox.nb_inventory - its tags (slugs) where netraven_tags is not set, plus the group names
  ansible.builtin.set_fact:
    creds: "{{ lookup('netraven.core.credentials', inventory_hostname, tags_vars=['netraven_tags', 'tags'], tags_from_groups=true) }}"
  no_log: true
# The same for every task and the backup roles, once in group_vars/all:
#   netraven_tags_vars: [netraven_tags, tags]
#   netraven_tags_from_groups: true     # sites_nyc, device_roles_core, ... count as tags

- name: Which tags a host is matched with (no credential is loaded)
  ansible.builtin.debug:
    msg: "{{ query('netraven.core.credentials', inventory_hostname, output='tags')[0] }}"

- name: Learned order from a metrics store (the last credential that worked on the device first)
  ansible.builtin.set_fact:
    creds: "{{ lookup('netraven.core.credentials', inventory_hostname, metrics_store='sqlite:///var/lib/netraven/metrics.db') }}"
  no_log: true
"""

RETURN = r"""
_raw:
  description:
    - One list per host (or one list for O(tags)), each the matching credentials, first to try first.
    - With V(lookup) and a single host, the list of that host's credentials.
    - With O(output=tags), one list of tag names per host instead (the default tag included).
  type: list
  elements: list
  contains:
    name:
      description: The credential's unique name (the metrics store's key).
      type: str
    username:
      description: Login user name.
      type: str
    password:
      description: Login password (decrypted if it was vault-encrypted), or null.
      type: str
    ssh_key_file:
      description: Path of the private key, or null.
      type: str
    enable_secret:
      description: Enable secret, or null.
      type: str
    priority:
      description: Lower is tried first.
      type: int
    tags:
      description: The credential's tags.
      type: list
      elements: str
    matched_tags:
      description: The tags the credential shares with the device (or with O(tags)).
      type: list
      elements: str
    description:
      description: The credential's description, only when it has one.
      type: str
    aaa:
      description: The AAA server whose shared account this is, only when the credential names one.
      type: str
"""

import os  # noqa: E402
import re  # noqa: E402
from collections.abc import Mapping  # noqa: E402
from typing import Any  # noqa: E402

from ansible.errors import AnsibleError, AnsibleFileNotFound, AnsibleLookupError  # noqa: E402
from ansible.module_utils.common.text.converters import to_text  # noqa: E402
from ansible.plugins.lookup import LookupBase  # noqa: E402
from ansible.utils.display import Display  # noqa: E402
from ansible.utils.unsafe_proxy import AnsibleUnsafe, wrap_var  # noqa: E402

from ansible_collections.netraven.core.plugins.module_utils import _credential  # noqa: E402
from ansible_collections.netraven.core.plugins.module_utils._exceptions import exception_chain  # noqa: E402
from ansible_collections.netraven.core.plugins.plugin_utils import _matching  # noqa: E402
from ansible_collections.netraven.core.plugins.plugin_utils._type_words import type_word  # noqa: E402
from ansible_collections.netraven.core.plugins.plugin_utils._learned import last_working_names, uses_learned_order  # noqa: E402

try:  # ansible-core >= 2.19
    from ansible.parsing.vault import EncryptedString as _VaultValue
    _DATA_TAGGING = True  # a string is data unless trusted as a template
except ImportError:  # pragma: no cover - older ansible-core
    from ansible.parsing.yaml.objects import AnsibleVaultEncryptedUnicode as _VaultValue
    _DATA_TAGGING = False  # every string is a template unless marked unsafe

display = Display()

VAULT_HEADER = "$ANSIBLE_VAULT"


def warn_untagged(hosts: list[str], default_tag: str, tags_vars: list[str] | None = None) -> None:
    """Warn that ``hosts`` have none of the ``tags_vars`` host variables set (so only ``default_tag``
    credentials match them). ``tags_vars``: the lookup's option (default ``[netraven_tags]``).

    The warning text does not name the hosts, so Ansible's Display (which drops a warning it has
    shown before, also for warnings sent from forks) shows it once per run; -vvv lists the hosts.
    """
    tags_vars = list(tags_vars or ["netraven_tags"])
    which = " or ".join(tags_vars)
    display.warning("netraven.core.credentials: some hosts have no %s (not from the netraven.core.devices "
                    "inventory?), so they get only the credentials tagged %r; set %s (a list of tags) "
                    "as a host or group variable, or %s: [] to accept that, or add the variable your inventory sets "
                    "to the tags_vars option (netraven_tags_vars)" % (which, default_tag, tags_vars[0], tags_vars[0]))
    display.vvv("netraven.core.credentials: hosts without %s: %s" % (which, ", ".join(hosts)))


def check_key_file(name: str, path: str) -> None:
    """Warn when credential ``name``'s ``ssh_key_file`` (``~`` expanded) is missing or unreadable here.

    Device work runs on the controller, where the lookup runs, so the path is checked here. The
    credential is still returned (its password, if any, may work). The warning names the credential
    and the path only; the key is never opened.
    """
    path = os.path.expanduser(path)
    if not os.path.exists(path):
        display.warning("netraven.core.credentials: credential %r: ssh_key_file %s does not exist on the controller" % (name, path))
    elif not os.path.isfile(path) or not os.access(path, os.R_OK):
        display.warning("netraven.core.credentials: credential %r: ssh_key_file %s is not a readable file on the controller" % (name, path))


def _wrapped_errors(err: BaseException) -> tuple[BaseException | None, ...]:
    """The errors behind ``err``: the one an AnsibleError wraps (``orig_exc``), its cause and its context."""
    return getattr(err, "orig_exc", None), err.__cause__, err.__context__


def _load_problem(exc: AnsibleError) -> str:
    """Why a credentials file could not be loaded, without its content: a YAML mistake with its line.

    PyYAML's ``MarkedYAMLError`` (found in the exception chain) gives the line/column of the problem
    and of the construct it is in (e.g. where an unclosed quote starts); ansible-core 2.19 also tags
    the error with an ``Origin``. PyYAML's words are kept with anything they quote from the file cut
    out (a password's character, say). Other errors (vault) keep Ansible's message.
    """
    for err in exception_chain(exc, links=_wrapped_errors, limit=10):
        mark = getattr(err, "problem_mark", None)
        if mark is not None:
            where = "line %d column %d" % (mark.line + 1, mark.column + 1)
            context = getattr(err, "context_mark", None)
            if context is not None and context.line != mark.line:
                where += " (the construct starts at line %d)" % (context.line + 1)
            words = ", ".join(w for w in (getattr(err, "context", None), getattr(err, "problem", None)) if w)
            words = re.sub(r"'[^']*'|\"[^\"]*\"", "(...)", words)
            return "not valid YAML at %s%s" % (where, ": " + words if words else "")
    origin = getattr(exc, "obj", None)
    line = getattr(origin, "line_num", None)
    if "YAML" in exc.message and line:
        return "not valid YAML at line %d column %d" % (line, getattr(origin, "col_num", None) or 1)
    return exc.message


def _as_data(value):
    """``value`` with every string in it marked unsafe, so no template in it is ever rendered.

    For the content of a credentials file before ansible-core 2.19, where a loaded string is a
    template (2.19 loads it as data already). Recurses into mappings and lists; vault-encrypted
    values stay as they are, to be decrypted only when their credential is returned.
    """
    if isinstance(value, (_VaultValue, AnsibleUnsafe)):
        return value
    if isinstance(value, Mapping):
        return {key: _as_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_data(item) for item in value]
    if isinstance(value, str):
        return wrap_var(value)
    return value


def _failure_reason(exc: BaseException) -> str:
    """Why a value could not be decrypted or rendered, by exception class names only (no message text)."""
    chain = [err.__class__.__name__ for err in exception_chain(exc, limit=10)]
    if any("vault" in name.lower() for name in chain):
        return "cannot decrypt it; is the vault password (vault id) it was encrypted with given? (%s)" % " <- ".join(chain)
    return "cannot render it (%s)" % " <- ".join(chain)


class LookupModule(LookupBase):
    """Implements ``lookup('netraven.core.credentials', host, ...)``; see DOCUMENTATION."""

    def run(self, terms: list, variables: dict | None = None, **kwargs) -> list[list[Any]]:
        """Return one list of credentials per host in ``terms`` (or one for ``tags=``), first to try first;
        with ``output=tags``, one list of tag names per host instead (no credential is loaded).

        Raises AnsibleLookupError naming the host, file, credential and field, never a secret value.
        """
        variables = variables or {}
        self.set_options(var_options=variables, direct=kwargs)
        tags = self.get_option("tags")
        default_tag = self.get_option("default_tag")
        hosts = self._host_names(terms)
        if tags is not None and hosts:
            raise AnsibleLookupError("netraven.core.credentials: give host names or tags=, not both")
        if tags is None and not hosts:
            raise AnsibleLookupError("netraven.core.credentials: give at least one host name, or tags=[...]")

        if self.get_option("output") == "tags":
            if tags is not None:
                raise AnsibleLookupError("netraven.core.credentials: output=tags takes host names, not tags=")
            found = self._tags_of(variables, hosts)
            return [_matching.device_tag_set(found[host] or [], default_tag) for host in hosts]

        credentials = self._credentials(variables)
        if tags is not None:
            device_tags = self._checked_tags(tags, "tags option")
            return [self._finish(_matching.select_credentials(credentials, device_tags, "priority", None, default_tag), "tags %s" % device_tags)]

        per_host_tags = {host: host_tags or [] for host, host_tags in self._tags_of(variables, hosts).items()}
        order, learned = self._order(hosts)
        results = []
        for host in hosts:
            selected = _matching.select_credentials(credentials, per_host_tags[host] or [], order, learned.get(host), default_tag)
            results.append(self._finish(selected, "host %r" % host, per_host_tags[host]))
        return results

    # -- inputs ------------------------------------------------------------------------------

    @staticmethod
    def _host_names(terms) -> list[str]:
        """Flatten the terms one level (``groups['x']`` is a list) into host names (str)."""
        names = []
        for term in terms or []:
            items = term if isinstance(term, (list, tuple)) else [term]
            for item in items:
                if not isinstance(item, str) or not item:
                    raise AnsibleLookupError("netraven.core.credentials: host names must be non-empty strings, got %s" % type_word(item))
                names.append(str(item))
        return names

    @staticmethod
    def _checked_tags(tags, what: str) -> list[str]:
        """``tags`` as a list of unique strings, or an AnsibleLookupError naming ``what``."""
        try:
            return _matching.normalise_tags(tags, what)
        except _matching.CredentialError as exc:
            raise AnsibleLookupError("netraven.core.credentials: %s" % exc) from None

    def _tags_of(self, variables, hosts: list[str]) -> dict[str, list[str] | None]:
        """Each host's tags (``_host_tags``); warns once about the hosts that have none set."""
        per_host_tags = {host: self._host_tags(variables, host) for host in hosts}
        untagged = [host for host, host_tags in per_host_tags.items() if host_tags is None]
        if untagged:
            warn_untagged(untagged, self.get_option("default_tag"), self.get_option("tags_vars"))
        return per_host_tags

    def _host_tags(self, variables, host: str) -> list[str] | None:
        """The host's tags by the O(tags_vars)/O(tags_from_groups) rule (``_matching.host_tags``).

        ``None`` when no variable of ``tags_vars`` is set and no group counts. Errors (AnsibleLookupError):
        an unknown host; a value that is not a list of tag names or tag mappings (naming host and variable).
        """
        hostvars = variables.get("hostvars")
        if not isinstance(hostvars, Mapping) or host not in hostvars:
            raise AnsibleLookupError("netraven.core.credentials: unknown host %r (not in the inventory's hostvars)" % host)
        # The calling host's own variables are at hand: hostvars[host] would gather them all again.
        host_vars = variables if variables.get("inventory_hostname") == host else hostvars[host]
        tags_vars = self._checked_tags(self.get_option("tags_vars"), "option tags_vars")
        groups = None
        if self.get_option("tags_from_groups"):
            groups = self._templar.template(host_vars["group_names"]) if "group_names" in host_vars else []
        try:
            return _matching.host_tags(host, host_vars, tags_vars, groups, render=self._templar.template)
        except _matching.CredentialError as exc:
            raise AnsibleLookupError("netraven.core.credentials: %s" % exc) from None

    def _credentials(self, variables) -> list[dict]:
        """Load, template (all but the secrets) and validate the credential list."""
        path = self.get_option("credentials_file")
        if path:
            raw, source = self._load_file(self._find_file(variables, path), path), "credentials_file %s" % path
        else:
            name = self.get_option("credentials_var")
            if name not in variables:
                raise AnsibleLookupError(
                    "netraven.core.credentials: variable %r is not defined (define it, or set credentials_file)" % name
                )
            raw, source = variables[name], "variable %r" % name
            if isinstance(raw, str):
                raw = self._render(raw, "%s: cannot render it" % source)
        if isinstance(raw, (list, tuple)):
            raw = [self._template_fields(item, index, source) for index, item in enumerate(raw)]
        try:
            credentials = _matching.normalise_credentials(raw, secret_types=(_VaultValue,))
        except _matching.CredentialError as exc:
            raise AnsibleLookupError("netraven.core.credentials: %s: %s" % (source, exc)) from None
        for cred in credentials:
            if not cred["tags"]:
                display.warning("netraven.core.credentials: credential %r has tags: [] and so matches no device; "
                                "give it [%s] to match every device" % (cred["name"], _matching.DEFAULT_TAG))
        return credentials

    def _render(self, value, where: str):
        """Template ``value``; a failure names ``where`` and the exception classes, never the value."""
        try:
            value = self._templar.template(value)
            if isinstance(value, _VaultValue):  # a vault value the templar left alone (older ansible-core)
                value = str(value)
            return value
        except Exception as exc:  # noqa: BLE001 - its message could quote a secret from the same list
            raise AnsibleLookupError("netraven.core.credentials: %s: %s" % (where, _failure_reason(exc))) from None

    def _template_fields(self, item, index: int, source: str):
        """Render the fields matching needs (name, priority, tags); the rest waits until returned.

        So the secrets (and vault-encrypted user names) of credentials that do not match the
        device are never decrypted.
        """
        if isinstance(item, str):
            item = self._render(item, "%s: credential #%d" % (source, index))
        if not isinstance(item, Mapping):
            return item
        return {key: (self._render(value, "%s: credential #%d, field %r" % (source, index, key)) if key in _credential.EARLY else value)
                for key, value in item.items()}

    def _find_file(self, variables, path: str) -> str:
        """Absolute path of the credentials file: ``~`` expanded, relative paths searched as ``file`` does.

        The search is Ansible's own (``DataLoader.path_dwim_relative_stack``: ``files/`` and the folder
        itself of each entry of ``ansible_search_path``, then of the playbook folder).
        Errors: AnsibleLookupError naming the file and, for a relative path, every place looked at.
        """
        expanded = os.path.expanduser(path)
        if os.path.isabs(expanded):
            if not os.path.exists(expanded):
                raise AnsibleLookupError("netraven.core.credentials: credentials_file %s not found" % expanded)
            return expanded
        paths = variables.get("ansible_search_path") or [self.get_basedir(variables)]
        try:
            return self._loader.path_dwim_relative_stack(paths, "files", expanded, is_role="role_path" in variables)
        except AnsibleFileNotFound as exc:
            looked = ", ".join(dict.fromkeys(exc.paths or [])) or "nowhere"
            raise AnsibleLookupError("netraven.core.credentials: credentials_file %s not found; looked for %s" % (path, looked)) from None

    def _load_file(self, found: str, path: str):
        """Parse the credentials file ``found`` (vault-encrypted or not); a list, or a mapping holding one.

        ``path`` is the name the user gave, used in error messages.
        """
        real = None
        try:
            read_text = getattr(self._loader, "get_text_file_contents", None)
            if read_text is not None:  # ansible-core >= 2.19: a vault-encrypted file is decrypted in memory
                text = read_text(found)
            else:  # older: a decrypted temporary copy, removed below
                real = self._loader.get_real_file(found, decrypt=True)
                with open(real, "rb") as handle:
                    text = to_text(handle.read(), errors="surrogate_or_strict")
            data = self._loader.load(text, file_name=found, show_content=False)
        except AnsibleError as exc:
            raise AnsibleLookupError("netraven.core.credentials: cannot read credentials_file %s: %s" % (path, _load_problem(exc))) from None
        except (OSError, UnicodeError) as exc:
            raise AnsibleLookupError("netraven.core.credentials: cannot read credentials_file %s: %s" % (path, exc.__class__.__name__)) from None
        finally:
            if real is not None:
                self._loader.cleanup_tmp_file(real)
        if not _DATA_TAGGING:
            data = _as_data(data)  # values in the file are data, never templates (as on 2.19)
        if isinstance(data, Mapping):
            key = self.get_option("credentials_var")
            if key not in data:
                raise AnsibleLookupError(
                    "netraven.core.credentials: credentials_file %s: expected a list of credentials or a mapping with the key %r" % (path, key)
                )
            data = data[key]
        if data is None:
            raise AnsibleLookupError("netraven.core.credentials: credentials_file %s is empty" % path)
        return data

    def _order(self, hosts: list[str]) -> tuple[str, dict]:
        """The order to use and, for ``learned``, the last working credential per host."""
        url, order = self.get_option("metrics_store"), self.get_option("order")
        if uses_learned_order(order, url):
            return "learned", last_working_names(url, hosts)
        if order == "learned":
            display.warning("netraven.core.credentials: order=learned but metrics_store is none; using priority order")
        return "priority", {}

    # -- output ------------------------------------------------------------------------------

    def _finish(self, selected: list[dict], what: str, device_tags: list[str] | None = None) -> list[dict]:
        """Decrypt/render the returned credentials' secrets, check them, mark every string unsafe."""
        if not selected and self.get_option("missing") == "error":
            tags = device_tags if device_tags is not None else []
            raise AnsibleLookupError(
                "netraven.core.credentials: no credential matches %s (tags %s plus %r)" % (what, tags, self.get_option("default_tag"))
            )
        return [self._reveal(cred, what) for cred in selected]

    def _reveal(self, cred: dict, what: str) -> dict:
        """Render/decrypt one returned credential's strings, check them, return it wrapped unsafe."""
        out = dict(cred)
        for field in _credential.TEXT:
            value = out.get(field)
            if value is None:
                continue
            where = "credential %r, field %r (for %s)" % (cred["name"], field, what)
            value = self._render(value, where)
            if not isinstance(value, str):
                raise AnsibleLookupError("netraven.core.credentials: %s: must be a string, got %s" % (where, type_word(value)))
            if value == "":
                if field in ("name", "username"):
                    raise AnsibleLookupError("netraven.core.credentials: %s: renders to an empty string" % where)
                out[field] = None
                continue
            if value.startswith(VAULT_HEADER):
                raise AnsibleLookupError(
                    "netraven.core.credentials: %s: still vault-encrypted after decryption (missing !vault tag, or encrypted twice)" % where
                )
            out[field] = value
        if out["ssh_key_file"] is not None:
            check_key_file(out["name"], out["ssh_key_file"])
        if _credential.lacks_login_material(out):
            raise AnsibleLookupError(
                "netraven.core.credentials: credential %r (for %s): password and ssh_key_file both render empty" % (cred["name"], what)
            )
        return wrap_var(out)
