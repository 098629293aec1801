"""Reads by a list of ids take the list as one parameter: more ids than a statement may bind
(PostgreSQL 65535, SQLite 32766) still work, on both engines. Found by the growth benchmark: a
list of 100k trunks read their subports and tags with 100k bound parameters and failed."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.support import Api, Server, throwaway_database
from trunkd.store.migrate import upgrade
from trunkd.store.uow import Database

MANY = 70_000  # past both engines' limits on bound parameters


def test_reads_by_more_ids_than_a_statement_can_bind(engine: str, tmp_path: Path) -> None:
    with throwaway_database(engine, tmp_path) as url:
        server = Server(database=url, workdir=tmp_path).start()
        try:
            api = Api(server.url)
            net = api.network(name="n")
            parent, child = api.port(net["id"]), api.port(net["id"])
            trunk = api.trunk(parent["id"], sub_ports=[
                {"port_id": child["id"], "segmentation_type": "vlan", "segmentation_id": 7}])
            assert api.put(f"/v2.0/trunks/{trunk['id']}/tags/t").status_code == 201
        finally:
            server.stop()
        upgrade(url)
        db = Database(url)
        try:
            unknown = [str(uuid.uuid4()) for _ in range(MANY)]
            with db.read() as uow:
                subs = uow.trunks.subports_of([*unknown, trunk["id"]])
                assert [s.port_id for s in subs[trunk["id"]]] == [child["id"]] and len(subs) == 1
                assert uow.trunks.tags.of([*unknown, trunk["id"]]) == {trunk["id"]: ["t"]}
                ports = uow.ports.get_many([*unknown, parent["id"], child["id"]])
                assert {p.id for p in ports} == {parent["id"], child["id"]}
                details = uow.ports.trunk_details([*unknown, parent["id"]])
                assert details[parent["id"]].trunk_id == trunk["id"]
                assert set(uow.ports.facts([*unknown, child["id"]])) == {child["id"]}
                assert uow.trunks.subports_of([]) == {}
        finally:
            db.dispose()
