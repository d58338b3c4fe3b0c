// SPDX-License-Identifier: GPL-2.0
/*
 * Reading the image and choosing its loader.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "loader.h"

int loader_read_file(const char *path, struct file_buf *fb)
{
	struct stat st;
	size_t off = 0;
	ssize_t n;
	int fd;

	fb->data = NULL;
	fb->size = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pr_err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		pr_err("%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		pr_err("%s: not a regular file", path);
		goto fail;
	}
	if (st.st_size == 0) {
		pr_err("%s: empty file", path);
		goto fail;
	}
	if ((unsigned long long)st.st_size > LOADER_MAX_FILE) {
		pr_err("%s: file too large (%lld bytes)", path,
		       (long long)st.st_size);
		goto fail;
	}
	fb->data = malloc(st.st_size);
	if (!fb->data) {
		pr_err("%s: out of memory reading %lld bytes", path,
		       (long long)st.st_size);
		goto fail;
	}
	while (off < (size_t)st.st_size) {
		n = read(fd, fb->data + off, st.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pr_err("%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		off += n;
	}
	if (off != (size_t)st.st_size) {
		pr_err("%s: file shrank while reading it", path);
		goto fail;
	}
	fb->size = off;
	close(fd);
	return 0;
fail:
	free(fb->data);
	fb->data = NULL;
	close(fd);
	return -1;
}

void loader_free_file(struct file_buf *fb)
{
	free(fb->data);
	fb->data = NULL;
	fb->size = 0;
}

static bool is_elf(const struct file_buf *fb)
{
	return fb->size >= 4 && !memcmp(fb->data, "\177ELF", 4);
}

int loader_load(struct guest_mem *mem, const struct load_opts *opts,
		struct boot_cpu *cpu)
{
	struct linux_layout layout;
	struct file_buf fb;
	struct mb_header h;
	int ret;

	if (loader_read_file(opts->path, &fb))
		return -1;
	if (opts->linux_kernel) {
		if (opts->mode_set || opts->load_set || opts->entry_set ||
		    opts->cmdline || opts->nr_modules) {
			pr_err("%s: --kernel takes --initrd and --append; --mode, --load, --entry, --cmdline and --module are for flat and multiboot images",
			       opts->path);
			ret = -1;
		} else {
			ret = bzimage_load(mem, opts, &fb, cpu, &layout);
		}
	} else if (opts->initrd || opts->append) {
		pr_err("%s: --initrd and --append are for a Linux kernel given with --kernel",
		       opts->path);
		ret = -1;
	} else if (bzimage_detect(&fb)) {
		pr_err("%s: a Linux bzImage: run it with --kernel", opts->path);
		ret = -1;
	} else if (is_elf(&fb) && multiboot_find_header(fb.data, fb.size, &h)) {
		if (opts->mode_set || opts->load_set || opts->entry_set) {
			pr_err("%s: a multiboot kernel: --mode, --load and --entry are for flat binaries",
			       opts->path);
			ret = -1;
		} else {
			ret = multiboot_load(mem, opts, &fb, &h, cpu);
		}
	} else if (opts->cmdline || opts->nr_modules) {
		pr_err("%s: not a multiboot kernel: --cmdline and --module need one",
		       opts->path);
		ret = -1;
	} else {
		if (is_elf(&fb))
			pr_err("%s: ELF without a multiboot header: loading it as a flat binary",
			       opts->path);
		ret = flat_load(mem, opts, &fb, cpu);
	}
	loader_free_file(&fb);
	return ret;
}
