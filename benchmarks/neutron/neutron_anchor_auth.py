"""Tiny paste filter for the Neutron anchor (auth_strategy = noauth).

Stock neutron noauth (neutron.auth:NoauthFakeProjectId) only builds a request
context when *no* X-Project-Id header is sent (then: admin, project
'fake_project_id').  When X-Project-Id is sent it leaves the context unset and
the pecan ContextHook falls back to a project-less admin context, so real
non-admin tenant requests are impossible.

This filter keeps the stock behaviour for header-less requests and, when
X-Project-Id (or X-Tenant-Id) is present, builds the context from the same
headers keystonemiddleware would set:
  X-Project-Id  project (required to enter this mode)
  X-User-Id     user (default 'anchor-user')
  X-Roles       comma list (default 'member,reader'); 'admin' => is_admin
"""
import webob.dec
from neutron_lib import context
from oslo_middleware import base


class AnchorNoauthContext(base.ConfigurableMiddleware):

    @webob.dec.wsgify
    def __call__(self, req):
        env = req.environ
        if not (env.get('HTTP_X_PROJECT_ID') or env.get('HTTP_X_TENANT_ID')):
            ctx = context.Context.from_environ(env)
            ctx.project_id = 'fake_project_id'
            env['neutron.context'] = ctx.elevated()
            return self.application
        if not env.get('HTTP_X_USER_ID') and not env.get('HTTP_X_USER'):
            env['HTTP_X_USER_ID'] = 'anchor-user'
        if not env.get('HTTP_X_ROLES') and not env.get('HTTP_X_ROLE'):
            env['HTTP_X_ROLES'] = 'member,reader'
        env['neutron.context'] = context.Context.from_environ(env)
        return self.application
