// HostModel: physical CPUs, domains, vCPUs and their schedulers. (Being built: issue 4.)
