# One node's preparation, the seed's pre_k8s_configure.yml, over SSH (the root module's ssh
# provider, through the jump host): firewalld stopped and masked, Docker told about the
# cluster's insecure registry (and restarted when that changes), the login user in the docker
# group, IPv6 off on the Internet-facing interface, and no DNS through the private network (it
# has no gateway). A file that would break the node is checked before it goes live (validate),
# and each command has a check, so a second apply touches nothing.

variable "host" {
  description = "The node's address, as the jump host reaches it."
  type        = string
}

variable "server_id" {
  description = "The server's id: a new server is a new host, prepared again."
  type        = string
}

variable "user" {
  description = "The login user, who joins the docker group."
  type        = string
}

variable "registry" {
  description = "The cluster's insecure registry."
  type        = string
}

variable "private_address" {
  description = "The node's address on the private network."
  type        = string
}

variable "sharednet1_cidr" {
  description = "The Internet-facing network's subnet."
  type        = string
}

# Everything here is replaced with the server (replace_triggered_by cannot name a resource of
# the calling module: this one stands for it).
resource "terraform_data" "server" {
  input = var.server_id
}

# The server is up before anything else is asked of it.
data "ssh_facts" "node" {
  host       = var.host
  depends_on = [terraform_data.server]
}

locals {
  # The interface on sharednet1, as the node names it: the one whose address is in the
  # subnet (the same network address under the subnet's prefix); and the private one.
  prefix  = split("/", var.sharednet1_cidr)[1]
  network = cidrhost(var.sharednet1_cidr, 0)
  public_interface = one([
    for interface, addresses in data.ssh_facts.node.interfaces : interface
    if anytrue([for a in addresses : cidrhost("${a}/${local.prefix}", 0) == local.network])
  ])
  private_interface = one([
    for interface, addresses in data.ssh_facts.node.interfaces : interface
    if contains(addresses, var.private_address)
  ])
}

resource "ssh_exec" "mask_firewalld" {
  host    = var.host
  sudo    = true
  command = "systemctl disable --now firewalld && systemctl mask firewalld"
  check   = "systemctl is-enabled firewalld 2>/dev/null | grep -qx masked"
  lifecycle {
    replace_triggered_by = [terraform_data.server]
  }
}

# dockerd refuses to start with a daemon.json it cannot read: checked before it goes live.
resource "ssh_file" "daemon_json" {
  host     = var.host
  sudo     = true
  path     = "/etc/docker/daemon.json"
  content  = jsonencode({ "insecure-registries" = [var.registry] })
  validate = "dockerd --validate --config-file %s"
  mode     = "0644"
  owner    = "root"
  group    = "root"
  lifecycle {
    replace_triggered_by = [terraform_data.server]
  }
}

resource "ssh_exec" "restart_docker" {
  host = var.host
  sudo = true
  command = "systemctl restart docker"
  # A change of daemon.json (drift put back included) replaces this, which restarts Docker.
  lifecycle {
    replace_triggered_by = [ssh_file.daemon_json]
  }
}

resource "ssh_exec" "docker_group" {
  host    = var.host
  sudo    = true
  command = "usermod -aG docker ${var.user}"
  check   = "id -nG ${var.user} | tr ' ' '\\n' | grep -qx docker"
  lifecycle {
    replace_triggered_by = [terraform_data.server]
  }
}

resource "ssh_file" "disable_ipv6" {
  host    = var.host
  sudo    = true
  path    = "/etc/sysctl.d/99-gourmetgram-ipv6.conf"
  content = "net.ipv6.conf.${local.public_interface}.disable_ipv6 = 1\n"
  lifecycle {
    replace_triggered_by = [terraform_data.server]
  }
}

resource "ssh_exec" "sysctl_apply" {
  host    = var.host
  sudo    = true
  command = "sysctl --system"
  lifecycle {
    replace_triggered_by = [ssh_file.disable_ipv6]
  }
}

resource "ssh_file" "private_dns" {
  host    = var.host
  sudo    = true
  path    = "/etc/systemd/network/10-netplan-${local.private_interface}.network.d/gourmetgram-dns.conf"
  content = "[Network]\nDNSDefaultRoute=false\n"
  lifecycle {
    replace_triggered_by = [terraform_data.server]
  }
}

resource "ssh_exec" "networkd_reload" {
  host    = var.host
  sudo    = true
  command = "networkctl reload"
  lifecycle {
    replace_triggered_by = [ssh_file.private_dns]
  }
}
