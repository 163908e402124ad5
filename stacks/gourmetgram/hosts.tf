# Layer 2, the seed's pre_k8s_configure.yml, on every node, through node1's floating IP as
# the jump host: firewalld stopped and masked, Docker told about the cluster's insecure
# registry (and restarted on that node when its file changes), the login user in the docker
# group, IPv6 off on the Internet-facing interface, and no DNS through the private network
# (it has no gateway). Each file is checked before it goes live where a bad one would break
# the node, and each command has a check, so a second apply touches nothing. A server that is
# replaced is a new host: everything here is done again on it (replace_triggered_by its id).

variable "ssh_user" {
  description = "The login user on the nodes (Chameleon's images use cc)."
  type        = string
  default     = "cc"
}

variable "ssh_private_key_file" {
  description = "The private key of var.key, the key pair the servers boot with."
  type        = string
  default     = "~/.ssh/id_rsa_chameleon"
}

variable "ssh_port" {
  description = "The nodes' and the jump host's SSH port."
  type        = number
  default     = 22
}

variable "ssh_bastion" {
  description = "The jump host; null: node1's floating IP. (The tests point it at a stand-in.)"
  type        = string
  default     = null
}

variable "ssh_hosts" {
  description = "Where the jump host reaches each node; a node not named here: its private address (var.nodes)."
  type        = map(string)
  default     = {}
}

variable "registry" {
  description = "The cluster's insecure registry (kubespray's registry add-on on node1)."
  type        = string
  default     = "node1:5000"
}

locals {
  # node1's sharednet1 address (10.56.*), where the platform and the apps are reached: the
  # seed finds it on the host by hand.
  external_ip = openstack_networking_port_v2.sharednet1_ports["node1"].all_fixed_ips[0]
  bastion     = coalesce(var.ssh_bastion, openstack_networking_floatingip_v2.floating_ip.address)
  # Every node's address as the jump host sees it.
  host = { for name, address in var.nodes : name => lookup(var.ssh_hosts, name, address) }
  # The interface on sharednet1 of each node, as the node names it: the one whose address is
  # in sharednet1's subnet (the same network address under the subnet's prefix).
  sharednet1_prefix  = split("/", data.openstack_networking_subnet_v2.sharednet1_subnet.cidr)[1]
  sharednet1_network = cidrhost(data.openstack_networking_subnet_v2.sharednet1_subnet.cidr, 0)
  public_interface = {
    for name, facts in data.ssh_facts.node :
    name => one([
      for interface, addresses in facts.interfaces : interface
      if anytrue([for a in addresses : cidrhost("${a}/${local.sharednet1_prefix}", 0) == local.sharednet1_network])
    ])
  }
  private_interface = {
    for name, facts in data.ssh_facts.node :
    name => one([for interface, addresses in facts.interfaces : interface if contains(addresses, var.nodes[name])])
  }
}

provider "ssh" {
  user            = var.ssh_user
  port            = var.ssh_port
  private_key     = file(pathexpand(var.ssh_private_key_file))
  host_key_policy = "accept-new"
  # The servers may still be booting when the first connection is tried.
  connect_timeout = "10m"

  bastion {
    host = local.bastion
  }
}

# The servers are up before anything else is asked of them.
data "ssh_facts" "node" {
  for_each   = var.nodes
  host       = local.host[each.key]
  depends_on = [openstack_compute_instance_v2.nodes]
}

resource "ssh_exec" "mask_firewalld" {
  for_each = var.nodes
  host     = local.host[each.key]
  sudo     = true
  command  = "systemctl disable --now firewalld && systemctl mask firewalld"
  check    = "systemctl is-enabled firewalld 2>/dev/null | grep -qx masked"
  lifecycle {
    replace_triggered_by = [openstack_compute_instance_v2.nodes[each.key].id]
  }
}

resource "ssh_file" "daemon_json" {
  for_each = var.nodes
  host     = local.host[each.key]
  sudo     = true
  path     = "/etc/docker/daemon.json"
  content  = jsonencode({ "insecure-registries" = [var.registry] })
  mode     = "0644"
  owner    = "root"
  group    = "root"
  lifecycle {
    replace_triggered_by = [openstack_compute_instance_v2.nodes[each.key].id]
  }
}

resource "ssh_exec" "restart_docker" {
  for_each = var.nodes
  host     = local.host[each.key]
  sudo     = true
  # dockerd refuses a daemon.json it cannot read; so does this, before the restart.
  command = "dockerd --validate --config-file /etc/docker/daemon.json && systemctl restart docker"
  # A change of this node's daemon.json (drift put back included) replaces this instance,
  # which restarts Docker on this node only.
  lifecycle {
    replace_triggered_by = [ssh_file.daemon_json[each.key]]
  }
}

resource "ssh_exec" "docker_group" {
  for_each = var.nodes
  host     = local.host[each.key]
  sudo     = true
  command  = "usermod -aG docker ${var.ssh_user}"
  check    = "id -nG ${var.ssh_user} | tr ' ' '\\n' | grep -qx docker"
  lifecycle {
    replace_triggered_by = [openstack_compute_instance_v2.nodes[each.key].id]
  }
}

resource "ssh_file" "disable_ipv6" {
  for_each = var.nodes
  host     = local.host[each.key]
  sudo     = true
  path     = "/etc/sysctl.d/99-gourmetgram-ipv6.conf"
  content  = "net.ipv6.conf.${local.public_interface[each.key]}.disable_ipv6 = 1\n"
  lifecycle {
    replace_triggered_by = [openstack_compute_instance_v2.nodes[each.key].id]
  }
}

resource "ssh_exec" "sysctl_apply" {
  for_each = var.nodes
  host     = local.host[each.key]
  sudo     = true
  command  = "sysctl --system"
  lifecycle {
    replace_triggered_by = [ssh_file.disable_ipv6[each.key]]
  }
}

# The private network has no gateway: no DNS server is asked through it.
resource "ssh_file" "private_dns" {
  for_each = var.nodes
  host     = local.host[each.key]
  sudo     = true
  path     = "/etc/systemd/network/10-netplan-${local.private_interface[each.key]}.network.d/gourmetgram-dns.conf"
  content  = "[Network]\nDNSDefaultRoute=false\n"
  lifecycle {
    replace_triggered_by = [openstack_compute_instance_v2.nodes[each.key].id]
  }
}

resource "ssh_exec" "networkd_reload" {
  for_each = var.nodes
  host     = local.host[each.key]
  sudo     = true
  command  = "networkctl reload"
  lifecycle {
    replace_triggered_by = [ssh_file.private_dns[each.key]]
  }
}
