"""Fills the loopback OpenStack with what the tests expect, in one openstacksdk process.

  bootstrap.py identity RUN_DIR   service users, catalog, the test project, user and
                                  application credential; writes RUN_DIR/clouds.yaml
  bootstrap.py cloud RUN_DIR      what a Chameleon admin provides: image, flavors (one
                                  private "reservation" flavor), the external "public"
                                  network, the shared "sharednet1" network with its router,
                                  the project's security groups, the user's keypair, quotas
  bootstrap.py reservation RUN_DIR
                                  what Blazar needs before a lease: the "freepool" aggregate
                                  and the compute host registered as reservable (before any
                                  server exists: Blazar refuses hosts that have servers)

Ports and passwords come from RUN_DIR/ports.env (KEY=VALUE lines).
"""

import sys
import time
from pathlib import Path

import openstack
import yaml

REGION = "RegionOne"
RESERVATION_FLAVOR_ID = "2b5ac8a0-7c5e-4a52-9a0e-6e4bb1a3c001"
# A public key only: nothing ever logs in (the compute driver is fake).
PUBLIC_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFvq0Txbp7nRqJOZs7rJfxjXfnXx60GDGw0NyELpwDXM ggplan-test"
)
# The security groups the seed's data.tf expects to exist in the project.
SECURITY_GROUPS = {
    "allow-ssh": 22,
    "allow-9001": 9001,
    "allow-8000": 8000,
    "allow-8080": 8080,
    "allow-8081": 8081,
    "allow-http-80": 80,
    "allow-9090": 9090,
}


def settings(run):
    out = {}
    for line in (run / "ports.env").read_text().splitlines():
        key, _, value = line.partition("=")
        out[key] = value
    return out


def connect(s, cloud):
    return openstack.connect(load_yaml_config=False, load_envvars=False, **s["_clouds"][cloud])


def clouds(s, app_id=None, app_secret=None):
    auth_url = f"http://127.0.0.1:{s['KEYSTONE_PORT']}/v3"

    def password(user, pw, project):
        return {
            "auth": {
                "auth_url": auth_url,
                "username": user,
                "password": pw,
                "project_name": project,
                "user_domain_name": "Default",
                "project_domain_name": "Default",
            },
            "region_name": REGION,
            "interface": "public",
            "identity_api_version": 3,
        }

    out = {
        "admin": password("admin", s["ADMIN_PASSWORD"], "admin"),
        "ggplan-password": password("ggplan", s["USER_PASSWORD"], "ggplan"),
        "quota": password("ggplan", s["USER_PASSWORD"], "ggplan-quota"),
        "bad-password": password("ggplan", "not-the-password", "ggplan"),
    }
    if app_id:
        def app_cred(secret):
            return {
                "auth": {
                    "auth_url": f"http://127.0.0.1:{s['KEYSTONE_PORT']}",
                    "application_credential_id": app_id,
                    "application_credential_secret": secret,
                },
                "region_name": REGION,
                "interface": "public",
                "identity_api_version": 3,
                "auth_type": "v3applicationcredential",
            }

        out["openstack"] = app_cred(app_secret)
        out["bad-secret"] = app_cred("not-the-secret")
    return out


def identity(run, s):
    s["_clouds"] = clouds(s)
    admin = connect(s, "admin")
    ident = admin.identity
    service_project = ident.create_project(name="service", domain_id="default")
    admin_role = ident.find_role("admin")
    member_role = ident.find_role("member")
    # Services present their own token beside the user's (X-Service-Token); the others
    # accept it only from users with the "service" role.
    service_role = ident.find_role("service") or ident.create_role(name="service")
    for name in ("nova", "neutron", "glance", "placement", "blazar"):
        user = ident.create_user(name=name, password=s["SERVICE_PASSWORD"], domain_id="default")
        ident.assign_project_role_to_user(service_project, user, admin_role)
        ident.assign_project_role_to_user(service_project, user, service_role)
    for kind, name, port, path in (
        ("image", "glance", s["GLANCE_PORT"], ""),
        ("network", "neutron", s["NEUTRON_PORT"], ""),
        ("compute", "nova", s["NOVA_PORT"], "/v2.1"),
        ("placement", "placement", s["PLACEMENT_PORT"], ""),
        ("reservation", "blazar", s["BLAZAR_PORT"], "/v1"),
    ):
        service = ident.create_service(name=name, type=kind)
        for interface in ("public", "internal", "admin"):
            ident.create_endpoint(
                service_id=service.id,
                interface=interface,
                url=f"http://127.0.0.1:{port}{path}",
                region_id=REGION,
            )
    user = ident.create_user(name="ggplan", password=s["USER_PASSWORD"], domain_id="default")
    for project_name in ("ggplan", "ggplan-quota"):
        project = ident.create_project(name=project_name, domain_id="default")
        ident.assign_project_role_to_user(project, user, member_role)
    s["_clouds"] = clouds(s)
    me = connect(s, "ggplan-password")
    credential = me.identity.create_application_credential(
        user=me.current_user_id, name="ggplan-tests"
    )
    (run / "clouds.yaml").write_text(
        yaml.safe_dump({"clouds": clouds(s, credential.id, credential.secret)})
    )


def wait_for(what, check, limit=120):
    deadline = time.time() + limit
    while True:
        try:
            if check():
                return
        except Exception as e:  # a service still starting answers with errors
            last = e
        else:
            last = None
        if time.time() > deadline:
            sys.exit(f"bootstrap: timed out waiting for {what}: {last}")
        time.sleep(1)


def cloud(run, s):
    s["_clouds"] = yaml.safe_load((run / "clouds.yaml").read_text())["clouds"]
    admin = connect(s, "admin")
    user = connect(s, "ggplan-password")
    project = admin.identity.find_project("ggplan")
    quota_project = admin.identity.find_project("ggplan-quota")

    wait_for("Glance", lambda: list(admin.image.images()) is not None)
    image = admin.image.create_image(
        name="CC-Ubuntu24.04",
        disk_format="raw",
        container_format="bare",
        visibility="public",
        data=b"ggplan fake image\n" * 64,
    )
    wait_for("Nova", lambda: list(admin.compute.flavors()) is not None)
    for name, vcpus, ram, disk in (("m1.small", 1, 512, 1), ("m1.large", 2, 2048, 10)):
        admin.compute.create_flavor(name=name, vcpus=vcpus, ram=ram, disk=disk)
    # More disk than the fake hypervisor has (and Nova has no disk quota): booting it fails
    # in the scheduler with "No valid host".
    admin.compute.create_flavor(name="ggplan.too-big", vcpus=1, ram=512, disk=10_000_000)
    reservation = admin.compute.create_flavor(
        id=RESERVATION_FLAVOR_ID,
        name=f"reservation:{RESERVATION_FLAVOR_ID}",
        vcpus=2,
        ram=2048,
        disk=10,
        is_public=False,
    )
    admin.compute.flavor_add_tenant_access(reservation, project.id)

    wait_for("Neutron", lambda: list(admin.network.networks()) is not None)
    public = admin.network.create_network(
        name="public",
        is_router_external=True,
        provider_network_type="flat",
        provider_physical_network="public",
    )
    admin.network.create_subnet(
        network_id=public.id, name="public-subnet", cidr="203.0.113.0/24",
        ip_version=4, is_dhcp_enabled=False,
    )
    shared = admin.network.create_network(
        name="sharednet1",
        is_shared=True,
        provider_network_type="flat",
        provider_physical_network="physnet1",
    )
    shared_subnet = admin.network.create_subnet(
        network_id=shared.id, name="sharednet1-subnet", cidr="10.56.0.0/22", ip_version=4,
    )
    router = admin.network.create_router(
        name="sharednet1-router", external_gateway_info={"network_id": public.id}
    )
    admin.network.add_interface_to_router(router, subnet_id=shared_subnet.id)
    for name, port in SECURITY_GROUPS.items():
        group = user.network.create_security_group(name=name, description=f"port {port}")
        user.network.create_security_group_rule(
            security_group_id=group.id, direction="ingress", ethertype="IPv4",
            protocol="tcp", port_range_min=port, port_range_max=port,
            remote_ip_prefix="0.0.0.0/0",
        )
    user.compute.create_keypair(name="id_rsa_chameleon", public_key=PUBLIC_KEY)
    # Room for the tests that run side by side (Nova's defaults allow 10 servers and 20 cores,
    # Neutron's 10 security groups, and the seeded groups take 8 of those).
    admin.compute.update_quota_set(project.id, instances=40, cores=100, ram=204800)
    admin.network.update_quota(project.id, security_groups=40, security_group_rules=400)
    admin.network.update_quota(quota_project.id, networks=0)
    admin.compute.update_quota_set(quota_project.id, instances=0)
    print(f"GGPLAN_TEST_OPENSTACK_IMAGE_ID={image.id}")


def reservation(run, s):
    s["_clouds"] = yaml.safe_load((run / "clouds.yaml").read_text())["clouds"]
    admin = connect(s, "admin")
    admin.compute.create_aggregate(name="freepool")
    hosts = []

    def compute_host_known():
        hosts[:] = [h.name for h in admin.compute.hypervisors()]
        return hosts

    wait_for("the compute host in Nova", compute_host_known)
    blazar = f"http://127.0.0.1:{s['BLAZAR_PORT']}/v1"
    for host in hosts:
        answer = admin.session.post(f"{blazar}/os-hosts", json={"name": host}, raise_exc=False)
        if answer.status_code not in (200, 201):
            sys.exit(f"bootstrap: Blazar refused host {host}: {answer.status_code} {answer.text}")
    print(f"reservable hosts: {hosts}")


def main():
    phase, run = sys.argv[1], Path(sys.argv[2])
    s = settings(run)
    {"identity": identity, "cloud": cloud, "reservation": reservation}[phase](run, s)


if __name__ == "__main__":
    main()
