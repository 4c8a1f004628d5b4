package controllers

import (
	"io/fs"
	"net/http"
)

// FilesOnly is fsys for gin's StaticFS without directory listings: a
// directory opens as not found, so that it gets the JSON 404 of any
// unknown path instead of a list of the files in it.
func FilesOnly(fsys fs.FS) http.FileSystem { return filesOnly{http.FS(fsys)} }

type filesOnly struct{ http.FileSystem }

func (f filesOnly) Open(name string) (http.File, error) {
	file, err := f.FileSystem.Open(name)
	if err != nil {
		return nil, err
	}
	info, err := file.Stat()
	if err != nil || info.IsDir() {
		_ = file.Close()
		return nil, fs.ErrNotExist
	}
	return file, nil
}
