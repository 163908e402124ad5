# The seed's host preparation, as a stack: on each of the three nodes, firewalld stopped and
# masked, Docker told about the insecure registry (and restarted when that changes), the login
# user in the docker group, the kernel settings Kubernetes needs, and the external address
# (the first 10.56.* address of node1) read from the host. node2 and node3 have only private
# addresses: every connection goes through node1's floating IP.

variable "floating_ip" {
  description = "node1's floating IP, the bastion for all three nodes."
  type        = string
}

variable "nodes" {
  description = "The nodes' private addresses."
  type        = map(string)
  default = {
    node1 = "192.168.1.11"
    node2 = "192.168.1.12"
    node3 = "192.168.1.13"
  }
}

variable "user" {
  description = "The login user on the nodes (Chameleon's images use cc)."
  type        = string
  default     = "cc"
}

variable "private_key_file" {
  description = "The private key whose public half is on the nodes."
  type        = string
  default     = "~/.ssh/id_rsa_chameleon"
}

variable "registry" {
  description = "The cluster's insecure registry."
  type        = string
  default     = "node1:5000"
}

variable "sysctl" {
  description = "Kernel settings for Kubernetes networking."
  type        = map(string)
  default = {
    "net.ipv4.ip_forward"                 = "1"
    "net.bridge.bridge-nf-call-iptables"  = "1"
    "net.bridge.bridge-nf-call-ip6tables" = "1"
  }
}

provider "ssh" {
  user            = var.user
  private_key     = file(pathexpand(var.private_key_file))
  host_key_policy = "accept-new"
  connect_timeout = "5m"

  bastion {
    host = var.floating_ip
  }
}

resource "ssh_exec" "mask_firewalld" {
  for_each = var.nodes
  host     = each.value
  sudo     = true
  command  = "systemctl disable --now firewalld && systemctl mask firewalld"
  check    = "systemctl is-enabled firewalld 2>/dev/null | grep -qx masked"
}

resource "ssh_file" "daemon_json" {
  for_each = var.nodes
  host     = each.value
  sudo     = true
  path     = "/etc/docker/daemon.json"
  content  = jsonencode({ "insecure-registries" = [var.registry] })
  mode     = "0644"
  owner    = "root"
  group    = "root"
}

resource "ssh_exec" "restart_docker" {
  for_each = var.nodes
  host     = each.value
  sudo     = true
  command  = "systemctl restart docker"
  # Any change to this node's daemon.json (a new content, or a drifted file put back)
  # replaces this instance, which runs the command again. (A trigger on the file's sha256
  # would miss the drift: the sha256 planned is the same as before.)
  lifecycle {
    replace_triggered_by = [ssh_file.daemon_json[each.key]]
  }
}

resource "ssh_exec" "docker_group" {
  for_each = var.nodes
  host     = each.value
  sudo     = true
  command  = "usermod -aG docker ${var.user}"
  check    = "id -nG ${var.user} | tr ' ' '\\n' | grep -qx docker"
}

resource "ssh_file" "sysctl" {
  for_each = var.nodes
  host     = each.value
  sudo     = true
  path     = "/etc/sysctl.d/99-gourmetgram.conf"
  content  = join("", [for key, value in var.sysctl : "${key} = ${value}\n"])
}

resource "ssh_exec" "sysctl_apply" {
  for_each = var.nodes
  host     = each.value
  sudo     = true
  command  = "sysctl --system"
  lifecycle {
    replace_triggered_by = [ssh_file.sysctl[each.key]]
  }
}

data "ssh_facts" "node1" {
  host = var.nodes["node1"]
}

output "external_ip" {
  description = "node1's first 10.56.* address (null when it has none)."
  value       = try([for a in data.ssh_facts.node1.ipv4_addresses : a if startswith(a, "10.56.")][0], null)
}
