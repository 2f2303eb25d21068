"""Redaction of device configurations: plugin_utils._redact and the redact_config filter.

The sample configurations in ``configs/`` are byte copies of /work/shared/data/configs (see
``configs/SOURCES.md``); each file's known secret values are listed below.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.netraven.core.plugins.filter.redact_config import FilterModule
from ansible_collections.netraven.core.plugins.plugin_utils._redact import (
    REDACTION_MARKER,
    count_redactions,
    redact_config,
)

CONFIGS = Path(__file__).parent / "configs"
M = REDACTION_MARKER

# file -> (secret substrings that must be gone, number of values redacted)
KNOWN = {
    "arista_eos_aaa.cfg": (["071B245F5A", "$6$.I7/ZR/zlLIUv8fr$vR/JvLTbq5amMt6Y1SE4CKlPDv"], 4),
    "arista_eos_dc1-leaf1a.cfg": (["$6$7u4j1rkb3VELgcZE$", "Q4fqtbqcZ7oQuKfuWtNGRQ==", "7x4B4rnJhZB438m9+BrBfQ==",
                                   "4b21pAdCvWeAqpcKDFMdWw=="], 4),
    "arista_eos_dns-ntp.cfg": (["044F0E151B", "15060E1F10"], 2),
    "arista_eos_eos-spine1.cfg": (["community public", "$1$7yUmRiH6$9F1Io4WMwAWSc2GMjeK3h/", "$1$yLXNmzh4$eltlOr6yIb8IpRGCjp8Bj/"], 3),
    "arista_eos_veos.cfg": (["$6$P1M9SV2bLTmQJpwW$", "$6$8zrJ4ESW2fqG2QqH$"], 2),
    "cisco_asa_jcy-fw-01.cfg": (["ntc123"], 5),
    "cisco_ios_as2border1.cfg": ([], 0),
    "cisco_ios_csr1-bgp.cfg": (["enable password cisco", "password 0 cisco"], 2),
    "cisco_ios_rtr2811.cfg": (["$1$EI4u$tgvrN/bbJ6Q09D1Vj0HjU.", "100F0A1016141D5A5E576B", "141906085D5679"], 3),
    "cisco_nxos_n9kv.cfg": (["$5$LOIMHI$", "$5$AT5s3bhE$", "0xd42fc9f6e153a348e1ab40f0f5b84589", "0x1a3abb28531cf988a22cc61af30861a7"], 6),
    "cisco_xe_csr1000v.cfg": (["$9$h6Ayg86tb/EImk$", "VR-netlab9"], 2),
    "juniper_junos_ag3-2-mx480-set.cfg": ([], 0),
    "juniper_junos_vsrx.cfg": (["$6$dWt4Lg4V$", "$6$1tKhsTEi$"], 2),
}


def test_every_sample_file_is_listed():
    assert sorted(p.name for p in CONFIGS.glob("*.cfg")) == sorted(KNOWN)


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_sample_config(name):
    original = (CONFIGS / name).read_bytes().decode("ascii")
    secrets, expected_count = KNOWN[name]
    for secret in secrets:
        assert secret in original, "fixture drift: %s not in %s" % (secret, name)
    redacted = redact_config(original)
    for secret in secrets:
        assert secret not in redacted
    assert count_redactions(original, redacted) == expected_count
    assert redact_config(redacted) == redacted  # idempotent
    # Line for line the same, except that a changed line differs only where a marker now stands.
    before, after = original.splitlines(keepends=True), redacted.splitlines(keepends=True)
    assert len(before) == len(after)
    assert original.endswith("\n") == redacted.endswith("\n")
    for old, new in zip(before, after):
        if old == new:
            continue
        head = new.partition(M)[0]
        tail = new.rsplit(M, 1)[1]
        assert old.startswith(head) and old.endswith(tail), (old, new)
        assert M in new


# (input line, expected line) per vendor; the block head, when needed, is a preceding line.
CASES = [
    # Cisco IOS / IOS-XE
    ("enable secret 5 $1$abcd$efghijklmnop", "enable secret 5 " + M),
    ("enable secret 9 $9$xyz$abc", "enable secret 9 " + M),
    ("enable password 7 0822455D0A16", "enable password 7 " + M),
    ("enable secret level 15 5 $1$x$y", "enable secret level 15 5 " + M),
    ("username bob privilege 15 secret 9 $9$aa$bb", "username bob privilege 15 secret 9 " + M),
    ("username bob password 0 Canary-ios-9f3", "username bob password 0 " + M),
    ("snmp-server community S3cr3tRO RO 10", "snmp-server community " + M + " RO 10"),
    ("snmp-server host 10.1.1.1 version 2c TrapComm", "snmp-server host 10.1.1.1 version 2c " + M),
    ("snmp-server host 10.1.1.1 informs version 2c TrapComm udp-port 162", "snmp-server host 10.1.1.1 informs version 2c " + M + " udp-port 162"),
    ("snmp-server user u1 g1 v3 auth sha AuthPass1 priv aes 128 PrivPass1",
     "snmp-server user u1 g1 v3 auth sha " + M + " priv aes 128 " + M),
    ("tacacs-server key 7 0105", "tacacs-server key 7 " + M),
    ("tacacs-server host 10.0.0.5 key TacKey", "tacacs-server host 10.0.0.5 key " + M),
    ("radius-server key 0 RadKey", "radius-server key 0 " + M),
    ("radius-server host 10.0.0.6 auth-port 1645 acct-port 1646 key 7 0105", "radius-server host 10.0.0.6 auth-port 1645 acct-port 1646 key 7 " + M),
    (" server-private 10.0.0.7 key 7 0105", " server-private 10.0.0.7 key 7 " + M),
    (" neighbor 10.0.0.1 password 7 08314D5D", " neighbor 10.0.0.1 password 7 " + M),
    ("ntp authentication-key 1 md5 0832585B1910 7", "ntp authentication-key 1 md5 " + M + " 7"),
    (" ip ospf authentication-key 7 0822", " ip ospf authentication-key 7 " + M),
    (" ip ospf message-digest-key 1 md5 7 0822", " ip ospf message-digest-key 1 md5 7 " + M),
    (" isis password IsisPw level-2", " isis password " + M + " level-2"),
    (" area-password AreaPw", " area-password " + M),
    (" domain-password DomPw", " domain-password " + M),
    ("  key-string 7 EigrpKey", "  key-string 7 " + M),
    (" standby 1 authentication md5 key-string 7 HsrpKey", " standby 1 authentication md5 key-string 7 " + M),
    (" standby 1 authentication HsrpText", " standby 1 authentication " + M),
    (" vrrp 1 authentication text VrrpText", " vrrp 1 authentication text " + M),
    ("crypto isakmp key 6 IsakmpKey address 192.0.2.1", "crypto isakmp key 6 " + M + " address 192.0.2.1"),
    (" pre-shared-key local LocalPsk", " pre-shared-key local " + M),
    (" pre-shared-key address 192.0.2.2 key RemotePsk", " pre-shared-key address 192.0.2.2 key " + M),
    (" password 7 LineVtyPw", " password 7 " + M),
    ("ppp chap password 0 ChapPw", "ppp chap password 0 " + M),
    (" wpa-psk ascii 0 WifiPsk", " wpa-psk ascii 0 " + M),
    (" secret 10 $6$xr$hash", " secret 10 " + M),  # IOS-XR username block
    ("key config-key password-encrypt MasterKey", "key config-key password-encrypt " + M),
    # New-user trial 2 (issue 18 A): the secret is the last word after the type, not the word after "password".
    ("ip msdp password peer 1.1.1.2 7 MsdpKey", "ip msdp password peer 1.1.1.2 7 " + M),
    ("ip msdp vrf V1 password peer 1.1.1.3 MsdpVrfKey", "ip msdp vrf V1 password peer 1.1.1.3 " + M),
    ("ip msdp password 1.1.1.4 3 NxMsdpKey", "ip msdp password 1.1.1.4 3 " + M),  # NX-OS
    (" client 10.0.0.9 server-key 7 CoaKey", " client 10.0.0.9 server-key 7 " + M),
    (" client 10.0.0.9 vrf MGMT server-key CoaVrfKey", " client 10.0.0.9 vrf MGMT server-key " + M),
    (" server-key 0 CoaKey2", " server-key 0 " + M),
    (" ip nhrp authentication NhrpKey", " ip nhrp authentication " + M),
    (" path ftp://admin:UrlPw@10.0.0.1/cfg", " path ftp://admin:" + M + "@10.0.0.1/cfg"),
    ("boot system ftp://bootuser:BootPw@10.0.0.2/image.bin", "boot system ftp://bootuser:" + M + "@10.0.0.2/image.bin"),
    ("crypto pki server CA database url scp://u:Sc@pPw@10.0.0.3/ca", "crypto pki server CA database url scp://u:" + M + "@10.0.0.3/ca"),
    (" authentication-key 0 LispKey", " authentication-key 0 " + M),  # was: the type digit removed, the key kept
    ("snmp-server host 10.1.1.1 vrf MGMT version 2c VrfComm", "snmp-server host 10.1.1.1 vrf MGMT version 2c " + M),
    ("snmp-server host 10.1.1.1 vrf MGMT informs version 2c VrfComm udp-port 162",
     "snmp-server host 10.1.1.1 vrf MGMT informs version 2c " + M + " udp-port 162"),
    ("snmp-server host 10.1.1.1 V1Comm", "snmp-server host 10.1.1.1 " + M),
    ("snmp-server mib community-map MapComm context C1", "snmp-server mib community-map " + M + " context C1"),
    ("   authentication mode hmac-sha-256 7 EigrpHmac", "   authentication mode hmac-sha-256 7 " + M),
    (" glbp 1 authentication text GlbpText", " glbp 1 authentication text " + M),
    ("    authentication text NxHsrpText", "    authentication text " + M),  # NX-OS hsrp/vrrp block
    (" cable shared-secret 7 CableKey", " cable shared-secret 7 " + M),
    ("ppp pap sent-username u1 password 0 PapPw", "ppp pap sent-username u1 password 0 " + M),
    (" ipv6 ospf authentication ipsec spi 500 sha1 0 Ospf6Key", " ipv6 ospf authentication ipsec spi 500 sha1 0 " + M),
    (" ospfv3 1 encryption ipsec spi 256 esp aes-cbc 128 EncKey sha1 AuthKey",
     " ospfv3 1 encryption ipsec spi 256 esp aes-cbc 128 " + M + " sha1 " + M),
    (" ldap-login-password AsaLdapPw", " ldap-login-password " + M),
    (" security wpa psk set-key ascii 0 WlcPsk", " security wpa psk set-key ascii 0 " + M),
    ("mpls ldp password fallback 7 LdpFallback", "mpls ldp password fallback 7 " + M),
    ("mpls ldp password option 1 for LDP-ACL 7 LdpOption", "mpls ldp password option 1 for LDP-ACL 7 " + M),
    ("mpls ldp neighbor 1.1.1.1 password 7 LdpNbr", "mpls ldp neighbor 1.1.1.1 password 7 " + M),
    ("tacacs-server host 1.1.1.1 single-connection key 7 TacSc", "tacacs-server host 1.1.1.1 single-connection key 7 " + M),
    ("vtp password VtpPw", "vtp password " + M),
    # Arista EOS
    ("enable secret sha512 $6$salt$hash", "enable secret sha512 " + M),
    ("username admin privilege 15 role network-admin secret sha512 $6$s$h", "username admin privilege 15 role network-admin secret sha512 " + M),
    ("aaa root secret sha512 $6$s$h", "aaa root secret sha512 " + M),
    ("   neighbor SPINES password 7 Q4fq==", "   neighbor SPINES password 7 " + M),
    ("tacacs-server host 10.10.10.157 vrf mgt  key 7 071B245F5A ", "tacacs-server host 10.10.10.157 vrf mgt  key 7 " + M + " "),
    ("   isis authentication key 7 IsisKey", "   isis authentication key 7 " + M),
    # NX-OS
    ("username admin password 5 $5$ab$cd  role network-admin", "username admin password 5 " + M + "  role network-admin"),
    ('tacacs-server key 7 "NxTacKey"', 'tacacs-server key 7 "' + M + '"'),
    ('radius-server host 10.0.0.9 key 7 "NxRadKey" authentication', 'radius-server host 10.0.0.9 key 7 "' + M + '" authentication'),
    ("    password 3 NxBgpPw", "    password 3 " + M),
    ("snmp-server user admin network-admin auth md5 0xd4 priv 0xd4 localizedkey",
     "snmp-server user admin network-admin auth md5 " + M + " priv " + M + " localizedkey"),
    # ASA
    ("enable password ntc123 encrypted", "enable password " + M + " encrypted"),
    ("passwd 2KFQnbNIdI.2KYOU encrypted", "passwd " + M + " encrypted"),
    ("username ntc password ntc123 encrypted privilege 15", "username ntc password " + M + " encrypted privilege 15"),
    (" ikev1 pre-shared-key AsaPsk", " ikev1 pre-shared-key " + M),
    (" ikev2 remote-authentication pre-shared-key AsaPsk2", " ikev2 remote-authentication pre-shared-key " + M),
    ("failover key FoKey", "failover key " + M),
    ("snmp-server host inside 10.1.1.50 community AsaComm version 2c", "snmp-server host inside 10.1.1.50 community " + M + " version 2c"),
    # Junos, set format
    ('set system root-authentication encrypted-password "$6$abc$def"', 'set system root-authentication encrypted-password "' + M + '"'),
    ('set system login user ops authentication encrypted-password "$1$a$b"', 'set system login user ops authentication encrypted-password "' + M + '"'),
    ('set system tacplus-server 10.0.0.1 secret "$9$JunosTac"', 'set system tacplus-server 10.0.0.1 secret "' + M + '"'),
    ('set system radius-server 10.0.0.2 secret "$9$JunosRad"', 'set system radius-server 10.0.0.2 secret "' + M + '"'),
    ('set protocols bgp group EBGP authentication-key "$9$JunosBgp"', 'set protocols bgp group EBGP authentication-key "' + M + '"'),
    ('set protocols ospf area 0 interface ge-0/0/0.0 authentication md5 1 key "$9$JunosOspf"',
     'set protocols ospf area 0 interface ge-0/0/0.0 authentication md5 1 key "' + M + '"'),
    ('set protocols isis level 2 authentication-key "$9$JunosIsis"', 'set protocols isis level 2 authentication-key "' + M + '"'),
    ('set system ntp authentication-key 1 type md5 value "$9$JunosNtp"', 'set system ntp authentication-key 1 type md5 value "' + M + '"'),
    ('set security ike policy P1 pre-shared-key ascii-text "$9$JunosPsk"', 'set security ike policy P1 pre-shared-key ascii-text "' + M + '"'),
    ("set snmp community JunosComm authorization read-only", "set snmp community " + M + " authorization read-only"),
    # Junos, curly format
    ('    secret "$9$CurlySecret"; ## SECRET-DATA', '    secret "' + M + '"; ## SECRET-DATA'),
    ('        simple-password "$9$Simple"; ## SECRET-DATA', '        simple-password "' + M + '"; ## SECRET-DATA'),
]

# Lines that contain secret-looking words but no secret: they must come out unchanged.
UNCHANGED = [
    "no enable password",
    "service password-encryption",
    "no password strength-check",
    "username admin privilege 15 role network-admin nopassword",
    "aaa authentication login default group TACACS local",
    " neighbor 10.0.0.1 send-community",
    "ip community-list expanded as1_community permit _1:",
    " set community 2:1 additive",
    "ntp trusted-key 1-2",
    "ip ssh pubkey-chain",
    "   key-hash ssh-rsa 5CC74A68B18B026A1709FB09D1F44E2F",
    "set policy-options community BLUE members 65000:100",
    " ip ospf authentication message-digest",
    "key chain EIGRP-KEYS",
    " key 1",
    "snmp-server enable traps",
    "snmp-server host 10.1.1.1 version 3 priv",
    f"enable secret 5 {M}",
    "feature password encryption aes",
    "ip ssh server algorithm authentication password keyboard",
    "set system login password minimum-length 8",
    "set system authentication-order [ radius password ]",
    "    authentication-order [ radius password ];",
    "        password {",
    # issue 18 A: no over-redaction next to the new rules
    "snmp-server host 10.1.1.1 use-vrf management",
    "snmp-server host 10.1.1.1 source-interface mgmt0",
    "snmp-server host 10.1.1.1 vrf MGMT informs version 3 priv v3user",
    "mpls ldp password required",
    " authentication port-control auto",
    " authentication mode md5",
    " ip nhrp network-id 10",
    " ip nhrp map multicast dynamic",
    "ip msdp peer 1.1.1.2 connect-source Loopback0",
    "boot system flash:c2800nm-adventerprisek9-mz.bin",
    " path tftp://10.0.0.1/$h-$t",
    "ip http client source-interface Gi0/0",
    " tunnel key 1234",
    " url https://example.com:8443/path",
]


@pytest.mark.parametrize("line,expected", CASES, ids=[c[0][:50] for c in CASES])
def test_hand_written_lines(line, expected):
    assert redact_config(line + "\n") == expected + "\n"
    assert redact_config(expected + "\n") == expected + "\n"


@pytest.mark.parametrize("line", UNCHANGED)
def test_lines_without_secrets_are_kept(line):
    assert redact_config(line + "\n") == line + "\n"


def test_block_keys_only_inside_aaa_blocks():
    text = "tacacs server TAC1\n address ipv4 10.0.0.1\n key 7 TacBlockKey\nkey chain K\n key 1\n  key-string 7 ChainKey\n"
    assert redact_config(text) == (
        "tacacs server TAC1\n address ipv4 10.0.0.1\n key 7 " + M + "\nkey chain K\n key 1\n  key-string 7 " + M + "\n"
    )
    asa = "aaa-server TACACS (inside) host 10.1.1.10\n key AsaAaaKey\n"
    assert redact_config(asa) == "aaa-server TACACS (inside) host 10.1.1.10\n key " + M + "\n"


def test_new_user_trial_config_keeps_no_secret():
    """The trial's configuration (issue 18 A): every SECRET word goes, in its blocks, the rest stays."""
    text = (
        "archive\n path ftp://admin:SECRET29url@10.0.0.1/cfg\n"
        "boot system ftp://bootuser:SECRET40boot@10.0.0.2/image.bin\n"
        "interface Tunnel0\n ip nhrp authentication SECRET41nhrp\n"
        "ip msdp password peer 1.1.1.2 7 SECRET44msdp\n"
        "radius server R1\n key 7 SECRET49radkey\n"
        "aaa server radius dynamic-author\n client 10.0.0.9 server-key 7 SECRET50dyn\n"
        "router isis\n authentication-key 0 SECRET56isis\n"
        "crypto isakmp client configuration group VPN\n key SECRET64group\n"
        "interface Cable1/0\n cable shared-secret SECRET63cable\n"
    )
    out = redact_config(text)
    assert "SECRET" not in out, out
    assert out.count(M) == 9
    assert " path ftp://admin:" + M + "@10.0.0.1/cfg\n" in out
    assert "ip msdp password peer 1.1.1.2 7 " + M + "\n" in out
    assert redact_config(out) == out


def test_one_table_of_rules():
    """Keyword rules and every-line rules (URL, crypt hash, SECRET-DATA) live in RULES, with unique names."""
    from ansible_collections.netraven.core.plugins.plugin_utils._redact import RULES

    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    every = [rule.name for rule in RULES if rule.every_line]
    assert every == ["url-password", "crypt-hash", "junos-secret-data"]
    # every-line rules come last, so the table reads in the order it is applied
    assert all(rule.every_line for rule in RULES[len(RULES) - len(every):])


def test_junos_curly_snmp_community_and_policy_community():
    text = ("snmp {\n    community PublicRO {\n        authorization read-only;\n    }\n}\n"
            "policy-options {\n    community BLUE {\n        members 65000:100;\n    }\n}\n")
    out = redact_config(text)
    assert "PublicRO" not in out
    assert "community BLUE {" in out
    assert out.count(M) == 1


def test_line_endings_and_missing_final_newline_are_kept():
    text = "hostname r1\r\nenable secret 5 $1$a$b\r\n \r\nend"
    assert redact_config(text) == "hostname r1\r\nenable secret 5 " + M + "\r\n \r\nend"
    assert redact_config("") == ""


def test_crypt_hash_anywhere_is_removed():
    assert redact_config("some-feature hash $6$salt$abcdef\n") == "some-feature hash " + M + "\n"


def test_non_text_input_is_an_error():
    with pytest.raises(TypeError):
        redact_config(None)  # type: ignore[arg-type]
    flt = FilterModule().filters()["redact_config"]
    with pytest.raises(AnsibleFilterError, match="expects the configuration as a string"):
        flt(["enable secret x"])
    assert flt(b"enable password Canary-x-9f3\n") == "enable password " + M + "\n"


def test_non_text_input_names_a_plain_type():
    """Values from Ansible's YAML are _AnsibleTagged* classes; the message says mapping/list (issue 18 item 8)."""
    from ansible.parsing.dataloader import DataLoader

    parsed = DataLoader().load("{config: {a: 1}, lines: [x]}", file_name="/vars.yml")
    flt = FilterModule().filters()["redact_config"]
    for value, word in ((parsed["config"], "got mapping"), (parsed["lines"], "got list")):
        with pytest.raises(AnsibleFilterError) as err:
            flt(value)
        assert str(err.value).endswith(word)
    with pytest.raises(TypeError, match="expects a str, got mapping$"):
        redact_config(parsed["config"])  # type: ignore[arg-type]


def test_remembered_clean_lines_change_no_result():
    """Lines in which the rules found nothing are remembered (fleet mode redacts many similar
    configurations in one process); every sample gives the same text with and without them."""
    from ansible_collections.netraven.core.plugins.plugin_utils import _redact  # pylint: disable=import-outside-toplevel

    texts = {name: (CONFIGS / name).read_text(encoding="utf-8") for name in sorted(KNOWN)}
    _redact._CLEAN_LINES.clear()  # pylint: disable=protected-access
    first = {name: redact_config(text) for name, text in texts.items()}
    remembered = set(_redact._CLEAN_LINES)  # pylint: disable=protected-access
    assert remembered  # the samples share lines ('!', 'no shutdown' ...)
    assert {name: redact_config(text) for name, text in texts.items()} == first
    for name, (secrets, _count) in KNOWN.items():
        assert not [s for s in secrets if any(s in line for line in remembered)], name


@pytest.mark.parametrize("first_block, then_block", [("interface Gi1", "tacacs server T"), ("tacacs server T", "interface Gi1")])
def test_a_line_a_block_rule_applies_to_is_never_remembered(first_block, then_block):
    """' key abc' is a secret inside an AAA block only: meeting it elsewhere first must not make the
    redaction skip it inside one later (the block-dependent rules are checked before remembering)."""
    for block in (first_block, then_block):
        expected = f" key {M}" if block.startswith("tacacs") else " key abc123"
        assert redact_config(f"{block}\n key abc123\n!\n") == f"{block}\n{expected}\n!\n"
