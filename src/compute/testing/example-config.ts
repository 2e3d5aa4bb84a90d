/** An example compute configuration used by the tests and the documentation. */
export const exampleConfigYaml = `apiVersion: drivetrain.io/v1
kind: ComputeConfig
currency: EUR
accelerators:
  - name: H100
    vendor: nvidia
    resource: nvidia.com/gpu
    nodeLabels: { nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3 }
  - name: A100-3g
    vendor: nvidia
    resource: nvidia.com/mig-3g.40gb
    nodeLabels: { nvidia.com/gpu.product: NVIDIA-A100-SXM4-80GB }
  - name: AI100
    vendor: qualcomm
    resource: qualcomm.com/qaic
    nodeLabels: { drivetrain.io/accelerator: qualcomm-ai100 }
clusters:
  - name: muc-1
    region: eu-central
  - name: gothenburg-1
    region: eu-north
    kubeconfigSecret: gothenburg-1-kubeconfig
flavors:
  - name: h100-ondemand
    cluster: muc-1
    accelerator: H100
    capacity: { nodes: 4, acceleratorsPerNode: 8, cpuPerNode: 192, memoryPerNode: 2Ti }
    prices: { onDemand: 4.0, spot: 1.5 }
  - name: h100-spot
    cluster: gothenburg-1
    accelerator: H100
    capacityType: spot
    capacity: { nodes: 2, acceleratorsPerNode: 8, memoryPerNode: 1Ti }
    prices: { onDemand: 4.0, spot: 1.5 }
  - name: a100-mig
    cluster: muc-1
    accelerator: A100-3g
    capacity: { nodes: 2, acceleratorsPerNode: 2 }
    prices: { onDemand: 1.2 }
  - name: ai100
    cluster: muc-1
    accelerator: AI100
    taints: [{ key: qualcomm.com/qaic, value: present, effect: NoSchedule }]
    capacity: { nodes: 2, acceleratorsPerNode: 4 }
    prices: { onDemand: 0.8 }
priorities:
  - { name: low, value: 0 }
  - { name: high, value: 1000 }
cohorts:
  - name: perception
teams:
  - name: lidar
    cohort: perception
    fairSharingWeight: 2
    preemption: { withinClusterQueue: LowerPriority, reclaimWithinCohort: Any }
    quotas:
      - flavor: h100-ondemand
        resources: { nvidia.com/gpu: { nominal: 16, borrowingLimit: 8, lendingLimit: 8 } }
      - flavor: h100-spot
        resources: { nvidia.com/gpu: { nominal: 8 } }
      - flavor: ai100
        resources: { qualcomm.com/qaic: { nominal: 4 } }
  - name: camera
    cohort: perception
    quotas:
      - flavor: h100-ondemand
        resources: { nvidia.com/gpu: { nominal: 16 } }
      - flavor: a100-mig
        resources: { nvidia.com/mig-3g.40gb: { nominal: 4 } }
`;
