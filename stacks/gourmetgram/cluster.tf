# Layer 3, the seed's kubespray run: the inventory generated from the servers (the seed's
# hosts.yaml: node1 and node2 control plane, all three nodes workers, etcd on node1) and its
# group variables, kubespray run as the seed runs it and again only when those change, then
# the admin kubeconfig read back from node1 for the kubernetes, helm and argocd providers.

variable "kubespray_dir" {
  description = "A kubespray checkout, where cluster.yml is; null: ansible/k8s/kubespray in this directory, as the seed's gourmetgram-iac has it. (The tests point it at a stand-in.)"
  type        = string
  default     = null
}

variable "kube_api_server" {
  description = "The Kubernetes API as ggplan reaches it; null: https://FLOATING_IP:6443 (see kube_api.tf). (The tests point it at a stand-in.)"
  type        = string
  default     = null
}

locals {
  inventory_dir = "${path.module}/generated/inventory/mycluster"
  kubespray_dir = coalesce(var.kubespray_dir, "${path.module}/ansible/k8s/kubespray")
  control_plane = ["node1", "node2"]
  etcd          = ["node1"]
  node_vars = {
    for name, address in var.nodes : name => {
      ansible_host = local.host[name]
      ip           = address
      access_ip    = address
    }
  }
  # Through the jump host as the seed's ansible.cfg does (a ProxyCommand: ssh -J would not
  # use the key for the jump host), with the stack's own known_hosts file.
  known_hosts      = "-o UserKnownHostsFile=${abspath(local.inventory_dir)}/known_hosts"
  ansible_ssh_args = "${local.known_hosts} -o ProxyCommand=\"ssh -W %h:%p -p ${var.ssh_port} -i ${pathexpand(var.ssh_private_key_file)} ${local.known_hosts} -o StrictHostKeyChecking=accept-new ${var.ssh_user}@${local.bastion}\""
  kube_api_server  = coalesce(var.kube_api_server, "https://${openstack_networking_floatingip_v2.floating_ip.address}:6443")
}

resource "local_file" "inventory" {
  filename = "${local.inventory_dir}/hosts.yaml"
  content = yamlencode({
    all = {
      hosts = local.node_vars
      vars = {
        ansible_user                 = var.ssh_user
        ansible_port                 = var.ssh_port
        ansible_ssh_private_key_file = pathexpand(var.ssh_private_key_file)
        ansible_ssh_common_args      = local.ansible_ssh_args
      }
      children = {
        kube_control_plane = { hosts = { for name in local.control_plane : name => {} } }
        kube_node          = { hosts = { for name in keys(var.nodes) : name => {} } }
        etcd               = { hosts = { for name in local.etcd : name => {} } }
        k8s_cluster        = { children = { kube_control_plane = {}, kube_node = {} } }
        calico_rr          = { hosts = {} }
      }
    }
  })
}

# The seed's group_vars/k8s_cluster changes: Docker as the container runtime and the add-ons
# it enables; the floating IP in the API server's certificate, for ggplan.
resource "local_file" "k8s_cluster_vars" {
  filename = "${local.inventory_dir}/group_vars/k8s_cluster/gourmetgram.yml"
  content = yamlencode({
    container_manager                   = "docker"
    dashboard_enabled                   = true
    helm_enabled                        = true
    registry_enabled                    = true
    metrics_server_enabled              = true
    local_path_provisioner_enabled      = true
    argocd_enabled                      = true
    supplementary_addresses_in_ssl_keys = [openstack_networking_floatingip_v2.floating_ip.address]
  })
}

# kubespray, as the seed runs it; again whenever the inventory or the variables change, a
# server is replaced (a new host joins the cluster), or the last run failed (the resource is
# then tainted and replaced).
resource "terraform_data" "kubespray" {
  triggers_replace = [
    local_file.inventory.content,
    local_file.k8s_cluster_vars.content,
    [for node in openstack_compute_instance_v2.nodes : node.id],
  ]

  provisioner "local-exec" {
    working_dir = local.kubespray_dir
    command     = "ansible-playbook -i ${abspath(local.inventory_dir)}/hosts.yaml --become --become-user=root cluster.yml"
    environment = {
      ANSIBLE_HOST_KEY_CHECKING = "False"
    }
  }

  # The hosts are prepared first, as the seed runs pre_k8s before kubespray.
  depends_on = [module.host]
}

# The cluster exists from kubespray's first successful run on. What is read from it waits for
# that run, and from then on is read while planning, even when kubespray runs again (a new
# node joins the same cluster, whose admin credentials stay): so the kubernetes and argocd
# providers are configured at plan time and a plan that re-runs kubespray still shows what
# changes in the cluster.
resource "terraform_data" "cluster" {
  depends_on = [terraform_data.kubespray]
}

data "ssh_file" "admin_kubeconfig" {
  host       = local.host["node1"]
  sudo       = true
  path       = "/etc/kubernetes/admin.conf"
  depends_on = [terraform_data.cluster]
}

locals {
  # The admin credentials never appear in a plan or an error.
  kubeconfig = sensitive(yamldecode(data.ssh_file.admin_kubeconfig.content))
  kube_credentials = {
    host                   = local.kube_api_server
    cluster_ca_certificate = base64decode(local.kubeconfig.clusters[0].cluster["certificate-authority-data"])
    client_certificate     = base64decode(local.kubeconfig.users[0].user["client-certificate-data"])
    client_key             = base64decode(local.kubeconfig.users[0].user["client-key-data"])
  }
}

provider "kubernetes" {
  host                   = local.kube_credentials.host
  cluster_ca_certificate = local.kube_credentials.cluster_ca_certificate
  client_certificate     = local.kube_credentials.client_certificate
  client_key             = local.kube_credentials.client_key
}

provider "argocd" {
  namespace = var.argocd_namespace
  kubernetes {
    host                   = local.kube_credentials.host
    cluster_ca_certificate = local.kube_credentials.cluster_ca_certificate
    client_certificate     = local.kube_credentials.client_certificate
    client_key             = local.kube_credentials.client_key
  }
}
