"""openstacksdk and python-openstackclient, unmodified, driving subnet pools and subnets allocated from them."""

from __future__ import annotations

import pytest
from openstack import exceptions

from tests.support import Api, Server
from tests.test_client_osc import osc, osc_json, osc_ok, unique
from tests.test_client_sdk import sdk_connection

pytestmark = pytest.mark.filterwarnings("ignore::openstack.warnings._RemovedInSDKWarning")


def test_subnet_pools_with_openstacksdk(server: Server, project: str, member: Api) -> None:
    conn = sdk_connection(server.url, project, "member,reader")
    name = unique("sdk-pool")
    pool = conn.network.create_subnet_pool(name=name, prefixes=["10.150.0.0/24", "10.150.1.0/24"],
                                           minimum_prefix_length=26, maximum_prefix_length=28,
                                           default_quota=256, description="sdk")
    assert pool.prefixes == ["10.150.0.0/23"]
    assert (pool.minimum_prefix_length, pool.default_prefix_length, pool.maximum_prefix_length) == (26, 26, 28)
    assert (pool.ip_version, pool.is_shared, pool.is_default, pool.default_quota) == (4, False, False, 256)
    assert conn.network.find_subnet_pool(name).id == pool.id
    assert [p.id for p in conn.network.subnet_pools(name=name)] == [pool.id]

    net = conn.network.create_network(name=unique("sdk-net"))
    first = conn.network.create_subnet(network_id=net.id, ip_version=4, subnet_pool_id=pool.id)
    assert (first.cidr, first.subnet_pool_id, first.gateway_ip) == ("10.150.0.0/26", pool.id, "10.150.0.1")
    second = conn.network.create_subnet(network_id=net.id, ip_version=4, subnet_pool_id=pool.id, prefixlen=28)
    assert second.cidr == "10.150.0.64/28"
    assert sorted(s.id for s in conn.network.subnets(subnet_pool_id=pool.id)) == sorted([first.id, second.id])
    with pytest.raises(exceptions.BadRequestException, match="maximum allowed prefix is 28"):
        conn.network.create_subnet(network_id=net.id, ip_version=4, subnet_pool_id=pool.id, prefixlen=29)

    updated = conn.network.update_subnet_pool(pool, name=name + "-x", prefixes=["10.150.0.0/22"],
                                              maximum_prefix_length=27)
    assert (updated.name, updated.prefixes, updated.maximum_prefix_length) == (name + "-x", ["10.150.0.0/22"], 27)
    with pytest.raises(exceptions.BadRequestException, match="Existing prefixes must be a subset"):
        conn.network.update_subnet_pool(pool, prefixes=["10.150.0.0/24"])
    conn.network.set_tags(pool, ["blue"])
    assert conn.network.get_subnet_pool(pool.id).tags == ["blue"]

    with pytest.raises(exceptions.BadRequestException, match="existing allocations"):
        conn.network.delete_subnet_pool(pool)
    conn.network.delete_subnet(first)
    conn.network.delete_subnet(second)
    conn.network.delete_subnet_pool(pool)
    with pytest.raises(exceptions.NotFoundException):
        conn.network.get_subnet_pool(pool.id)
    conn.network.delete_network(net)
    assert member.get("/v2.0/subnetpools", params={"project_id": project}).json()["subnetpools"] == []


def test_openstack_subnet_pool_create_list_show_set_delete(server: Server, admin: Api) -> None:
    name = unique("pool")
    made = osc_json(server, "subnet", "pool", "create", "--pool-prefix", "172.30.0.0/24",
                    "--default-prefix-length", "28", "--min-prefix-length", "26", "--max-prefix-length", "29",
                    "--description", "osc", "--tag", "red", name)
    assert (made["name"], made["prefixes"], made["ip_version"]) == (name, ["172.30.0.0/24"], 4)
    assert (made["default_prefixlen"], made["min_prefixlen"], made["max_prefixlen"]) == (28, 26, 29)  # the SDK: ints
    listed = osc_json(server, "subnet", "pool", "list", "--name", name)
    assert [p["ID"] for p in listed] == [made["id"]]
    osc_ok(server, "subnet", "pool", "set", "--name", name + "-x", "--pool-prefix", "172.30.1.0/24",
           "--default-quota", "512", "--no-default", name)
    shown = osc_json(server, "subnet", "pool", "show", made["id"])
    assert (shown["name"], shown["prefixes"], shown["default_quota"]) == (
        name + "-x", ["172.30.0.0/23"], 512)
    assert sorted(shown["tags"]) == ["red"]

    net = admin.network()
    subnet = osc_json(server, "subnet", "create", "--network", net["id"], "--subnet-pool", made["id"],
                      "--prefix-length", "27", unique("from-pool"))
    assert (subnet["cidr"], subnet["subnetpool_id"]) == ("172.30.0.0/27", made["id"])
    default_len = osc_json(server, "subnet", "create", "--network", net["id"], "--subnet-pool", made["id"],
                           unique("from-pool"))
    assert default_len["cidr"] == "172.30.0.32/28"
    explicit = osc_json(server, "subnet", "create", "--network", net["id"], "--subnet-pool", made["id"],
                        "--subnet-range", "172.30.1.0/26", unique("from-pool"))
    assert explicit["cidr"] == "172.30.1.0/26"
    outside = osc(server, "subnet", "create", "--network", net["id"], "--subnet-pool", made["id"],
                  "--subnet-range", "172.31.0.0/26", unique("from-pool"))
    assert outside.returncode != 0 and "Cannot allocate requested subnet" in outside.stderr

    in_use = osc(server, "subnet", "pool", "delete", made["id"])
    assert in_use.returncode != 0 and "existing allocations" in in_use.stderr
    for s in (subnet, default_len, explicit):
        osc_ok(server, "subnet", "delete", s["id"])
    osc_ok(server, "subnet", "pool", "delete", made["id"])
    assert admin.get(f"/v2.0/subnetpools/{made['id']}").status_code == 404


def test_openstack_subnet_create_use_default_subnet_pool(server: Server, admin: Api) -> None:
    made = osc_json(server, "subnet", "pool", "create", "--pool-prefix", "2001:db8:150::/48", "--default",
                    "--share", unique("default-v6"))
    try:
        assert (made["is_default"], made["shared"], made["ip_version"]) == (True, True, 6)
        net = admin.network()
        subnet = osc_json(server, "subnet", "create", "--network", net["id"], "--ip-version", "6",
                          "--use-default-subnet-pool", unique("from-default"))
        assert (subnet["cidr"], subnet["subnetpool_id"]) == ("2001:db8:150::/64", made["id"])
        osc_ok(server, "subnet", "delete", subnet["id"])
    finally:
        osc_ok(server, "subnet", "pool", "delete", made["id"])
