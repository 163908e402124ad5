suffix="proj99"
key = "id_rsa_chameleon"
nodes={
"node1"="192.168.1.11"
  "node2"="192.168.1.12"
}
reservation_id =    "abc-123"
enabled=true
ports=[80,443]
