"""Authorisation, used by the API and the service layer alike: the oslo.policy engine (`engine.py`)
and trunkd's rule catalogue (`rules.py`), as Neutron's policy.py and conf/policies/.

Callers see one protocol, `domain.context.Authorizer` (enforce / allowed): the use cases through
`Env.policy`, the views through `RequestContext.can`.
"""
