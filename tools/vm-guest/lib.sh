# tools/vm-guest/lib.sh: shell helpers for scripts running inside tools/vm's guest.
#   source "$checkout/tools/vm-guest/lib.sh"
#
# Device numbers follow module load and probe order, so every device is found
# by the name of its driver (or, for faux devices, of the device itself).

vm_error() { echo "tools/vm (guest): $*" >&2; }

# driver_of SYSFS-DEVICE: the name of the driver bound to it, if any.
driver_of() {
	local driver
	driver=$(readlink "$1/driver") && echo "${driver##*/}"
}

# drm_node NAME [card|renderD]: the /dev/dri node of the DRM device called NAME.
# On 7.2, vkms and vgem are faux devices: their driver is "faux_driver" and the
# device itself is named "vkms" or "vgem". A virtio GPU's DRM device hangs off
# the PCI device (driver virtio-pci); virtio_gpu drives its virtio child.
drm_node() {
	local name=$1 kind=${2:-card} node device candidate
	for node in /sys/class/drm/"$kind"[0-9]*; do
		case ${node##*/} in *-*) continue ;; esac # connectors: card0-Virtual-1
		[ -e "$node/device" ] || continue
		device=$(readlink -f "$node/device")
		for candidate in "$device" "$device"/virtio[0-9]*; do
			if [ "${candidate##*/}" = "$name" ] || [ "$(driver_of "$candidate")" = "$name" ]; then
				echo "/dev/dri/${node##*/}"
				return 0
			fi
		done
	done
	return 1
}

# video_capture_node DRIVER [mplane]: the first /dev/videoN of DRIVER that
# captures video with the single-planar (or the multi-planar) API
# (VIDIOC_QUERYCAP, asked only of DRIVER's nodes: v4l2-ctl is slow to start
# under TCG).
video_capture_node() {
	local driver=$1 node capability='Video Capture$'
	[ "${2:-}" = mplane ] && capability='Video Capture Multiplanar$'
	for node in /sys/class/video4linux/video*; do
		[ "$(driver_of "$node/device")" = "$driver" ] || continue
		# Device Caps (not the device-wide Capabilities) describe this node.
		v4l2-ctl -d "/dev/${node##*/}" --info 2>/dev/null | sed -n '/Device Caps/,$p' |
			grep -q "$capability" || continue
		echo "/dev/${node##*/}"
		return 0
	done
	return 1
}

# virtio_port NAME: the character device of the virtio-serial port qemu named NAME.
virtio_port() {
	local port
	for port in /sys/class/virtio-ports/*; do
		[ "$(cat "$port/name" 2>/dev/null)" = "$1" ] && echo "/dev/${port##*/}" && return 0
	done
	return 1
}

# load_modules MODULE...: modprobe them all at once (with their parameters
# from module_params, if any): under TCG, loading is CPU-bound and each vCPU
# is a host thread. One line names each module that fails.
declare -A module_params=(
	# One vivid instance with only a video capture node: fewer nodes, faster udev.
	[vivid]="n_devs=1 node_types=0x1"
)
load_modules() {
	local module pid pids=() failed=0
	# FENCECAM_VB2_FENCES: the VM runs our patched videobuf2 (tools/kmods);
	# vivid and uvcvideo (when it runs: FENCECAM_VM_UVC) offer release fences
	# on their capture queues; fencecam opts in per queue. A second vivid
	# instance, after the first so that it never takes its node, captures
	# with the multi-planar API for the kernel tests.
	if [ -n "${FENCECAM_VB2_FENCES:-}" ]; then
		module_params[vivid]="n_devs=2 node_types=0x1,0x1 multiplanar=1,2 release_fences=1,1"
		module_params[uvcvideo]+=" release_fences=1"
	fi
	for module; do
		(
			# shellcheck disable=SC2086 # parameters are words
			out=$(modprobe "$module" ${module_params[$module]:-} 2>&1) || {
				vm_error "cannot load kernel module $module: ${out:-modprobe failed}"
				exit 1
			}
		) &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || failed=1
	done
	return $failed
}
