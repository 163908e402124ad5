locals {
  script = <<EOT
#!/bin/sh
   echo "${ var.name }"   
	tabbed line
%{ for n in var.nodes ~}
node ${n}
%{ endfor ~}
EOT
  indented = <<-EOT
      keep   this
        and ${ upper( var.x ) }
      EOT
  short = 1
  docs = [<<EOT
first
EOT
  , "second"]
  json = jsonencode({
    a = <<-JSON
      {"k": "v"}
    JSON
  })
}
