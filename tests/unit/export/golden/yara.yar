// Entente YARA rules: one rule per file hash indicator.
// Producer: ACME CERT. Generated: 2026-11-26T12:00:00.000Z. Serial: 1796212800.

import "hash"

rule entente_2d3c8ea0_8f3e_4e50_9c75_4b2e3e90bc23_md5_5d41402abc4b2a76b9719d911017c592 : entente
{
    meta:
        indicator = "indicator--2d3c8ea0-8f3e-4e50-9c75-4b2e3e90bc23"
        name = "Dropper \xc3\xbcn\xc3\xafcode"
        score = 80
        tlp = "amber"
    condition:
        hash.md5(0, filesize) == "5d41402abc4b2a76b9719d911017c592"
}

rule entente_2d3c8ea0_8f3e_4e50_9c75_4b2e3e90bc23_sha1_aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d : entente
{
    meta:
        indicator = "indicator--2d3c8ea0-8f3e-4e50-9c75-4b2e3e90bc23"
        score = 80
        tlp = "amber"
    condition:
        hash.sha1(0, filesize) == "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"
}

rule entente_2d3c8ea0_8f3e_4e50_9c75_4b2e3e90bc23_sha256_2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 : entente
{
    meta:
        indicator = "indicator--2d3c8ea0-8f3e-4e50-9c75-4b2e3e90bc23"
        name = "Sample campaign"
        score = 100
        tlp = "amber"
    condition:
        hash.sha256(0, filesize) == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
}

